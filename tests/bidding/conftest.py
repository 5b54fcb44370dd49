from .sealing import bidders, in_bidding  # noqa: F401 - fixtures for the bidding tests
