"""The rules tender deadlines must follow, and how an amendment extends them."""

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from .exceptions import InvalidDeadlines

DEADLINE_FIELDS = (
    "questions_close_at",
    "registration_close_at",
    "bid_open_at",
    "bid_close_at",
    "opening_at",
)


def deadlines_check(
    values: dict[str, datetime | None], *, now: datetime, notice_period_days: int | None = None
) -> None:
    """Refuse deadlines that are missing, out of order or (for a new notice) too short.

    Order: questions close <= registration closes <= bidding closes; bidding opens before
    it closes; the opening is at or after the close; the close is in the future and, for a
    notice being published, at least the procedure's notice period away.
    """
    missing = [name for name in DEADLINE_FIELDS if values.get(name) is None]
    if missing:
        raise InvalidDeadlines(
            _("These deadlines are missing: %(names)s") % {"names": ", ".join(missing)},
            code="missing",
        )
    q, reg, bid_open, bid_close, opening = (values[name] for name in DEADLINE_FIELDS)
    problems = []
    if not q <= reg:
        problems.append(_("questions must close at or before registration closes"))
    if not reg <= bid_close:
        problems.append(_("registration must close at or before bidding closes"))
    if not bid_open < bid_close:
        problems.append(_("bidding must open before it closes"))
    if not bid_close <= opening:
        problems.append(_("the opening must be at or after the bid deadline"))
    if not now < bid_close:
        problems.append(_("the bid deadline must be in the future"))
    if notice_period_days and bid_close - now < timedelta(days=notice_period_days):
        problems.append(
            _("the procedure requires at least %(days)s days from publication to the bid deadline")
            % {"days": notice_period_days}
        )
    if problems:
        raise InvalidDeadlines("; ".join(problems), code="order")


def amended_deadlines(
    current: dict[str, datetime],
    requested: dict[str, datetime],
    *,
    now: datetime,
    amendment_period_days: int,
) -> dict[str, datetime]:
    """Deadlines after an amendment: never brought forward, the bidding window never
    shorter, and the bid deadline moved so that at least the procedure's amendment period
    remains after bidding can start (the opening moves with it).

    Suppliers plan on the published deadlines, so an amendment may only give them more time.
    """
    new = {**current, **{k: v for k, v in requested.items() if v is not None}}
    for name in DEADLINE_FIELDS:
        if new[name] < current[name]:
            raise InvalidDeadlines(
                _("An amendment cannot bring a deadline forward (%(name)s).") % {"name": name},
                code="shortened",
            )
    if current["bid_open_at"] <= now and new["bid_open_at"] != current["bid_open_at"]:
        raise InvalidDeadlines(
            _("Bidding has opened: its opening time can no longer change."), code="bidding_open"
        )
    window = current["bid_close_at"] - current["bid_open_at"]
    if new["bid_close_at"] - new["bid_open_at"] < window:
        raise InvalidDeadlines(
            _("An amendment cannot make the bidding window shorter."), code="window"
        )
    # The amendment period runs from when suppliers can act on it: now, or the opening of
    # bidding if that is later. Deadlines people type are whole minutes: so is an extension.
    minimum_close = minute_ceiling(
        max(now, new["bid_open_at"]) + timedelta(days=amendment_period_days)
    )
    if new["bid_close_at"] < minimum_close:
        shift = minimum_close - new["bid_close_at"]
        new["bid_close_at"] = minimum_close
        new["opening_at"] = max(new["opening_at"] + shift, minimum_close)
    return new


def minute_ceiling(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def same_minute(a: datetime | None, b: datetime | None) -> bool:
    """Whether two moments fall in the same minute (forms show and send whole minutes)."""
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)
