"""``localcloud twilio``: a local stand-in for the parts of Twilio's REST API Salon Flow calls."""
