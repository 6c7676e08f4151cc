"""Dates written the French way: "Dimanche 29 Novembre 2026", "08/04/2015"."""
import datetime as dt
import functools

from babel.dates import format_date


@functools.lru_cache(maxsize=4096)  # babel's formatting cost ~6 % of a page's CPU (profiled)
def long_date(day):
    # The guide capitalises day and month names ("Lundi 4 Mai 2015").
    return " ".join(word.capitalize() for word in
                    format_date(day, "EEEE d MMMM y", locale="fr_FR").split(" "))


def today_long():
    return long_date(dt.date.today())


def short_date(day):
    return day.strftime("%d/%m/%Y")
