"""Tabs whose service arrives with a later part of the project: a plain French notice."""
from flask import Blueprint, render_template

from gateway.web_session import gather_page, login_required

bp = Blueprint("upcoming", __name__)

PAGES = {}


def _notice(slug):
    gather_page()
    return render_template(
        "notice.html", title=PAGES[slug], active=slug,
        message="Ce service n'est pas encore ouvert sur le portail. "
                "Il sera disponible prochainement.")


def _register(slug):
    bp.add_url_rule(f"/{slug}", endpoint=slug.replace("-", "_"),
                    view_func=login_required(lambda: _notice(slug)))


for _slug in PAGES:
    _register(_slug)
