"""What a mid-sized Indian salon sells and who works there: the fixed vocabulary the seed draws from.

Prices are list prices in whole rupees as a Bengaluru/Pune neighbourhood salon would print them; durations are
multiples of 15 minutes because front desks book on a quarter-hour grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["women", "men", "any"]
Role = Literal["senior_stylist", "stylist", "barber", "beautician", "nail_technician", "makeup_artist", "therapist"]


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    name: str
    category: str  # hair, skin, nails, spa, makeup, grooming
    duration_minutes: int
    price_rupees: int
    cost_share: float  # products and commission as a share of the price
    audience: Audience
    roles: frozenset[Role]
    popularity: float  # relative booking frequency
    add_on: bool = False
    add_on_after: frozenset[str] = frozenset()  # main service keys this add-on is sold with


_HAIR: frozenset[Role] = frozenset({"senior_stylist", "stylist"})
_BEAUTY: frozenset[Role] = frozenset({"beautician", "therapist"})
_NAILS: frozenset[Role] = frozenset({"beautician", "nail_technician"})
_HAIR_MAINS = frozenset({"womens_haircut", "mens_haircut", "hair_colour", "hair_spa", "root_touch_up", "blow_dry"})

# Ordered by how essential a service is: `services=N` takes the first N, so the default 15 cover every
# kind of service the demo talks about (haircuts, colour, keratin, facials, threading, waxing, nails,
# a head-massage add-on, a bridal trial, a beard-trim add-on).
CATALOG: tuple[ServiceSpec, ...] = (
    ServiceSpec("womens_haircut", "Haircut & Blow-dry (Women)", "hair", 60, 750, 0.10, "women", _HAIR, 10.0),
    ServiceSpec("mens_haircut", "Men's Haircut", "hair", 30, 400, 0.08, "men",
                _HAIR | {"barber"}, 9.0),
    ServiceSpec("eyebrow_threading", "Eyebrow Threading", "grooming", 15, 100, 0.05, "women",
                _BEAUTY | {"nail_technician"}, 12.0),
    ServiceSpec("hair_colour", "Global Hair Colour", "hair", 120, 3800, 0.30, "any", _HAIR, 4.0),
    ServiceSpec("keratin", "Keratin Smoothening", "hair", 180, 6500, 0.35, "women",
                frozenset({"senior_stylist"}), 1.5),
    ServiceSpec("classic_facial", "Classic Clean-up Facial", "skin", 60, 1400, 0.20, "any", _BEAUTY, 5.0),
    ServiceSpec("gold_facial", "Gold Radiance Facial", "skin", 75, 2400, 0.25, "women", _BEAUTY, 3.0),
    ServiceSpec("arms_waxing", "Full Arms Waxing (Rica)", "grooming", 30, 600, 0.15, "women", _NAILS, 4.0),
    ServiceSpec("legs_waxing", "Full Legs Waxing (Rica)", "grooming", 45, 900, 0.15, "women", _NAILS, 3.0),
    ServiceSpec("manicure", "Classic Manicure", "nails", 45, 700, 0.15, "any", _NAILS, 4.0),
    ServiceSpec("pedicure", "Spa Pedicure", "nails", 60, 950, 0.15, "any", _NAILS, 3.5),
    ServiceSpec("head_massage", "Head Massage (Add-on)", "spa", 30, 500, 0.10, "any",
                _HAIR | {"barber", "therapist"}, 0.0, add_on=True, add_on_after=_HAIR_MAINS),
    ServiceSpec("bridal_trial", "Bridal Makeup & Hair Trial", "makeup", 120, 5000, 0.25, "women",
                frozenset({"senior_stylist", "makeup_artist"}), 0.6),
    ServiceSpec("beard_trim", "Beard Trim & Shape (Add-on)", "grooming", 15, 200, 0.05, "men",
                _HAIR | {"barber"}, 0.0, add_on=True, add_on_after=frozenset({"mens_haircut"})),
    ServiceSpec("hair_spa", "Hair Spa", "hair", 60, 1500, 0.20, "any", _HAIR | {"therapist"}, 3.0),
    ServiceSpec("root_touch_up", "Root Touch-up", "hair", 90, 1800, 0.30, "any", _HAIR, 3.0),
    ServiceSpec("blow_dry", "Blow-dry & Styling", "hair", 45, 600, 0.08, "women", _HAIR, 2.5),
    ServiceSpec("kids_haircut", "Kids' Haircut", "hair", 30, 300, 0.08, "any", _HAIR | {"barber"}, 2.0),
    ServiceSpec("upper_lip", "Upper Lip Threading (Add-on)", "grooming", 15, 80, 0.05, "women",
                _BEAUTY | {"nail_technician"}, 0.0, add_on=True, add_on_after=frozenset({"eyebrow_threading"})),
    ServiceSpec("party_makeup", "Party Makeup", "makeup", 90, 3000, 0.25, "women",
                frozenset({"makeup_artist", "senior_stylist"}), 1.0),
)

# How likely an add-on is sold with one of its main services.
ADD_ON_RATE: dict[str, float] = {"head_massage": 0.12, "beard_trim": 0.40, "upper_lip": 0.30}

# The team a salon of N people has: the first N of this rotation.
ROSTER: tuple[Role, ...] = (
    "senior_stylist", "stylist", "beautician", "barber", "beautician", "stylist",
    "nail_technician", "makeup_artist", "stylist", "therapist", "barber", "beautician",
)

SALON_NAMES: tuple[str, ...] = (
    "Kesar Salon & Spa", "Mehendi Hair Studio", "Roop Beauty Lounge", "Chandni Unisex Salon",
    "Saffron Hair & Skin", "Zara Looks Salon", "Nakhra Beauty Bar", "Tulsi Unisex Salon",
)
LOCALITIES: tuple[str, ...] = (
    "Indiranagar, Bengaluru", "Koregaon Park, Pune", "Bandra West, Mumbai", "Hauz Khas, New Delhi",
    "Jubilee Hills, Hyderabad", "Anna Nagar, Chennai", "Salt Lake, Kolkata", "Satellite, Ahmedabad",
)

WOMEN_FIRST: tuple[str, ...] = (
    "Priya", "Ananya", "Sneha", "Pooja", "Kavya", "Aishwarya", "Divya", "Meera", "Nandini", "Riya",
    "Shreya", "Neha", "Anjali", "Lakshmi", "Deepika", "Swati", "Ishita", "Tanvi", "Aditi", "Bhavna",
    "Fatima", "Zoya", "Sana", "Ayesha", "Harpreet", "Simran", "Gurleen", "Maria", "Sharon", "Nisha",
    "Radhika", "Sunita", "Rekha", "Pallavi", "Madhuri", "Vidya", "Keerthi", "Sowmya", "Aparna", "Revathi",
    "Shalini", "Trisha", "Payal", "Komal", "Jyoti", "Manisha", "Rashmi", "Sonal", "Tanya", "Urvashi",
)
MEN_FIRST: tuple[str, ...] = (
    "Rahul", "Arjun", "Vikram", "Rohan", "Aditya", "Karan", "Siddharth", "Amit", "Rajesh", "Suresh",
    "Imran", "Faisal", "Sameer", "Harpreet", "Gurpreet", "Manish", "Nikhil", "Varun", "Akash", "Deepak",
    "Anand", "Karthik", "Venkat", "Srinivas", "Prakash", "Joseph", "Kevin", "Abhishek", "Yash", "Kunal",
)
SURNAMES: tuple[str, ...] = (
    "Sharma", "Verma", "Gupta", "Agarwal", "Mehta", "Shah", "Patel", "Desai", "Joshi", "Kulkarni",
    "Deshpande", "Iyer", "Iyengar", "Nair", "Menon", "Pillai", "Reddy", "Rao", "Naidu", "Krishnan",
    "Subramanian", "Banerjee", "Chatterjee", "Mukherjee", "Bose", "Das", "Singh", "Kaur", "Gill", "Sandhu",
    "Khan", "Shaikh", "Qureshi", "Siddiqui", "Ansari", "D'Souza", "Fernandes", "Pereira", "Thomas", "Kumar",
    "Yadav", "Mishra", "Tiwari", "Pandey", "Chauhan", "Malhotra", "Kapoor", "Khanna", "Bhat", "Hegde",
)


def full_name(first: str, surname: str, gender: str) -> str:
    """Kaur is borne by Sikh women; Sikh men are Singh."""
    if surname == "Kaur" and gender == "men":
        surname = "Singh"
    return f"{first} {surname}"


EMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com")

LEAVE_REASONS: tuple[str, ...] = (
    "Family wedding in Jaipur", "Sister's wedding", "Medical leave", "Diwali leave", "Hometown visit",
)
PARTIAL_LEAVE_REASONS: tuple[str, ...] = ("Doctor's appointment", "Child's school function", "Bank work")
