from tests.bidding.sealing import bidders, in_bidding  # noqa: F401 - fixtures for lot tests
