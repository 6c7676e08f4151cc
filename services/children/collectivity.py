"""children's copy of the collectivity's settings it applies (accounts' collectivity.updated):
requests from the planning on or off, the registration form on or off, the school-holiday
zone of the calendar, and the name printed on the registration form."""
from services.children.models import CollectivitySettings

# accounts' setting → this copy's column.
COPIED = ("name", "planning_requests", "registration_form", "school_holiday_zone")
DEFAULTS = {"name": "", "planning_requests": True, "registration_form": True,
            "school_holiday_zone": "C"}


def get(session):
    """The copy, or the defaults until accounts has published its settings. Read once per
    worker's session (session.info): the identity map alone would not keep it."""
    if "collectivity" not in session.info:
        keep(session, session.get(CollectivitySettings, 1))
    return session.info["collectivity"]


def keep(session, row):
    """Keep the copy read with another query (None: not published yet) for this session."""
    session.info["collectivity"] = row if row is not None else CollectivitySettings(
        id=1, **DEFAULTS)


def zone(session):
    return get(session).school_holiday_zone


def apply(session, data):
    """Take the settings the back office changed (data["changed"]) among those children uses."""
    session.info.pop("collectivity", None)
    row = session.get(CollectivitySettings, 1)
    if row is None:
        row = CollectivitySettings(id=1, **DEFAULTS)
        session.add(row)
    for field in COPIED:
        if field in data.get("changed", ()):
            setattr(row, field, data[field])
