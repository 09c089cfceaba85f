"""A simulated salon month that measures what the agents earn against what salons already use (issue #12).

The simulator owns the world (`world`: the month's bookings and what happens to them, `behaviour`: how customers
and the owner answer messages) and drives every policy through the same month with common random numbers:
the baselines (`baselines`) in memory, Salon Flow through its real service layer over Firestore
(`salonflow_policy`). An independent checker (`checker`) counts rule violations over every message sent, and
`results` turns each run into the table's figures.
"""
