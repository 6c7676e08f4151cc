"""The monthly invoicing run: from the bookings and attendance children published, one invoice
per family, régie and period.

What is billed, per child, prestation and day:
- attendance recorded: present → billed (at the surcharged price when there was no booking);
  absent facturé → billed; absent excusé → not billed; heure hors contrat → its hours at the
  surcharged price (plus the booked unit, if the day was booked);
- no attendance recorded: a booking is billed (a reservation is due), a booking cancelled after
  the délai de prévenance too; one cancelled in time is not.
Re-running a period creates nothing new: a (family, régie, period) that has an invoice is
skipped, and the table's unique constraint refuses a duplicate from a concurrent run.
"""
import calendar
import collections
import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from services.billing import tariffs
from services.billing.models import Attendance, Booking, Family, Invoice, InvoiceLine, Regie, Tariff
from services.billing.money import ZERO, fmt, money
from services.common.errors import ValidationError
from services.common.events import add_event

BATCH = 1000  # families per transaction: a crash loses at most one batch, re-run finishes

# kind -> (label suffix, surcharged?)
KINDS = {
    "normal": ("", False),
    "absence_facturee": (" (absence facturée)", False),
    "annulation_tardive": (" (annulation tardive)", False),
    "sans_reservation": (" (présence sans réservation)", True),
    "hors_contrat": (" (heure hors contrat)", True),
}


def period_bounds(period):
    """"2026-11" → (1 Nov 2026, 30 Nov 2026)."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", str(period or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError("La période doit être de la forme AAAA-MM (par exemple 2026-11).")
    year, month = int(match.group(1)), int(match.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def day_units(bookings, attendance):
    """What one child's day of one prestation bills: [(kind, quantity)]."""
    active = any(not b.cancelled for b in bookings)
    late = any(b.cancelled and b.late_cancellation for b in bookings)
    if attendance is None:
        if active:
            return [("normal", Decimal(1))]
        return [("annulation_tardive", Decimal(1))] if late else []
    booked = attendance.booked or active
    status = attendance.status
    if status == "present":
        return [("normal" if booked else "sans_reservation", Decimal(1))]
    if status == "absent_facture":
        return [("absence_facturee", Decimal(1))]
    if status == "heure_hors_contrat":
        units = [("hors_contrat", Decimal(attendance.quantity))]
        return ([("normal", Decimal(1))] + units) if booked else units
    return []  # absent_excuse


def billable_days(session, start, end):
    """{family_id: {(child_id, child_name, prestation_code, prestation): [(kind, qty)]}}"""
    days = collections.defaultdict(lambda: [[], None])  # key+day -> [bookings, attendance]
    for b in session.execute(sa.select(Booking).where(Booking.day.between(start, end))).scalars():
        days[(b.family_id, b.child_id, b.prestation_code, b.day)][0].append(b)
    for a in session.execute(sa.select(Attendance).where(Attendance.day.between(start, end))).scalars():
        days[(a.family_id, a.child_id, a.prestation_code, a.day)][1] = a
    result = collections.defaultdict(lambda: collections.defaultdict(list))
    for (family_id, child_id, code, _day), (bookings, attendance) in days.items():
        record = attendance or bookings[0]
        key = (child_id, record.child_name, code, record.prestation)
        result[family_id][key].extend(day_units(bookings, attendance))
    return result


def invoice_lines(days, tariff_by_code, family, hors_commune):
    """{regie_id: [line dict]} for one family; prestations without a tariff are returned apart."""
    lines = collections.defaultdict(list)
    missing = set()
    for (child_id, child_name, code, prestation), units in sorted(days.items(), key=lambda i: (i[0][1], i[0][3])):
        tariff = tariff_by_code.get(code)
        if tariff is None:
            missing.add(code)
            continue
        price = tariffs.unit_price(tariff, family.quotient_familial, hors_commune)
        quantities = collections.Counter()
        for kind, quantity in units:
            quantities[kind] += quantity
        for kind in KINDS:  # a stable order of lines
            if not quantities[kind]:
                continue
            suffix, surcharged = KINDS[kind]
            unit_price = money(price + tariff.surcharge) if surcharged else money(price)
            lines[tariff.regie_id].append({
                # The régie's name of the tariff ("Garderie périscolaire Restauration
                # scolaire"), as on the guide's invoices; the structure's name otherwise.
                "child_name": child_name, "label": (tariff.label or prestation) + suffix,
                "quantity": quantities[kind], "unit_price": unit_price,
                "amount": money(quantities[kind] * unit_price)})
    return lines, missing


def run_period(session, period, issued_on=None, commit=True):
    """Invoice every family for `period` ("2026-11"); returns a summary with the new ids."""
    start, end = period_bounds(period)
    issued_on = issued_on or dt.date.today()
    settings_row = tariffs.get_settings(session)
    due_on = issued_on + dt.timedelta(days=settings_row.due_days)
    communes = tariffs.commune_codes(settings_row)
    tariff_by_code = {t.prestation_code: t for t in session.scalars(sa.select(Tariff))}
    regies = {r.id: r for r in session.scalars(sa.select(Regie))}
    days = billable_days(session, start, end)
    families = {f.id: f for f in session.scalars(sa.select(Family).where(Family.id.in_(list(days))))}
    summary = {"period": f"{start:%Y-%m}", "created": 0, "existing": 0, "invoice_ids": [],
               "without_tariff": set(), "without_family": sorted(set(days) - set(families))}
    family_ids = sorted(families, key=lambda i: families[i].numero)
    for offset in range(0, len(family_ids), BATCH):
        batch = family_ids[offset:offset + BATCH]
        existing = set(session.execute(sa.select(Invoice.family_id, Invoice.regie_id).where(
            Invoice.period_start == start, Invoice.family_id.in_(batch))).all())
        todo = []  # (family, regie_id, lines)
        for family_id in batch:
            family = families[family_id]
            hors_commune = bool(communes) and family.code_postal not in communes
            lines, missing = invoice_lines(days[family_id], tariff_by_code, family, hors_commune)
            summary["without_tariff"] |= missing
            for regie_id, regie_lines in sorted(lines.items()):
                if (family_id, regie_id) in existing:
                    summary["existing"] += 1
                elif sum(line["amount"] for line in regie_lines) > ZERO:
                    todo.append((family, regie_id, regie_lines))
        summary["invoice_ids"] += _create(session, todo, regies, start, end, issued_on, due_on)
        if commit:
            session.commit()
    summary["created"] = len(summary["invoice_ids"])
    summary["without_tariff"] = sorted(summary["without_tariff"])
    return summary


def _create(session, todo, regies, start, end, issued_on, due_on):
    """Insert the invoices of one batch, numbered per régie, with their lines and events."""
    if not todo:
        return []
    per_regie = collections.Counter(regie_id for _, regie_id, _ in todo)
    next_free = {}
    for regie_id, count in per_regie.items():  # one block of numbers per régie and batch
        last = session.execute(sa.update(Regie).where(Regie.id == regie_id)
                               .values(last_invoice_number=Regie.last_invoice_number + count)
                               .returning(Regie.last_invoice_number)).scalar_one()
        next_free[regie_id] = last - count + 1
    rows = []
    for family, regie_id, lines in todo:
        number = next_free[regie_id]
        next_free[regie_id] += 1
        rows.append({"regie_id": regie_id, "number": number,
                     "numero": f"{regies[regie_id].code}-{number}", "family_id": family.id,
                     "period_start": start, "period_end": end, "issued_on": issued_on,
                     "due_on": due_on, "total": sum(line["amount"] for line in lines)})
    ids = session.execute(sa.insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
                          rows).scalars().all()
    session.execute(sa.insert(InvoiceLine), [
        {"invoice_id": invoice_id, **line}
        for invoice_id, (_, _, lines) in zip(ids, todo) for line in lines])
    for invoice_id, row in zip(ids, rows):
        add_event(session, "billing", "invoice.issued", {
            "invoice_id": invoice_id, "numero": row["numero"], "family_id": row["family_id"],
            "regie": regies[row["regie_id"]].name, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "issued_on": issued_on.isoformat(),
            "due_on": due_on.isoformat(), "total": fmt(row["total"])})
    return list(ids)
