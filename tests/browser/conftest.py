"""The portal in a real browser: Debian's Chromium driven through its chromedriver by Selenium
(never a browser downloaded by a test tool), against the gateway served over HTTP, the
services and the bank stub.

One browser for the session; each test starts with no cookies and its window size. Each page
visited goes through `look(name)`: axe-core (from the npm registry, injected into the page)
must find no serious or critical violation, and a screenshot is kept in
.test-artifacts/browser/. `make test` installs Chromium, chromedriver and axe-core when they
are missing (Makefile, "browser-tools").

Selenium, not Playwright: the tests run under eventlet's monkey-patching (tests/conftest.py),
which deadlocks Playwright's own greenlets; Selenium's plain HTTP calls to chromedriver simply
wait on green sockets while the in-process gateway answers the browser.
"""
import base64
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from services.accounts import demo as accounts_demo
from services.billing import demo as billing_demo
from services.children import demo as children_demo
from tests.children.conftest import make_child, make_prestation, unique_code
from tests.support.families import create_family
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = ROOT / ".browser-tools" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / ".test-artifacts" / "browser"
# Without the background-networking flags Chromium tries to reach Google's servers, which a
# closed network refuses (and slows every start).
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--lang=fr-FR"]
DESKTOP = (1280, 900)
PHONE = (375, 667)


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    for path, how in ((CHROMIUM, "apt-get install chromium"),
                      (CHROMEDRIVER, "apt-get install chromium-driver"),
                      (AXE, "make browser-tools")):
        if not Path(path).exists():
            pytest.fail(f"{path} not found: `{how}` (make test does it)", pytrace=False)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never downloads anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="portail-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    downloads = tmp_path_factory.mktemp("telechargements")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "plugins.always_open_pdf_externally": True})
    chrome = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    chrome.implicitly_wait(0)
    chrome.set_page_load_timeout(20)
    chrome.downloads = downloads
    yield chrome
    chrome.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def portal(settings, services, live_gateway, bank_stub):
    """The gateway's address, with the guide's demo family in every service."""
    family = accounts_demo.seed(settings)
    children_demo.seed(settings, family)
    billing_demo.seed(settings, family)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return live_gateway


class Browser:
    """The session's browser for one test: no cookies left from the previous one, its window
    size, and the portal's helpers."""

    def __init__(self, driver, base, size):
        self.driver, self.base = driver, base
        driver.get(f"{base}/sante")  # cookies are per site: be on it to clear them
        driver.delete_all_cookies()
        driver.set_window_size(*size)
        self.width = driver.execute_script("return window.innerWidth")

    # --- finding and waiting ---------------------------------------------------------------

    def find(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def link(self, text, within="body"):
        """The visible link whose text (or aria-label) is `text`."""
        for element in self.finds(f"{within} a"):
            label = element.get_attribute("aria-label") or element.text
            if label.strip() == text and element.is_displayed():
                return element
        raise AssertionError(f"no link {text!r} on {self.driver.current_url}")

    def button(self, text):
        for element in self.finds("button"):
            if element.text.strip() == text and element.is_displayed():
                return element
        raise AssertionError(f"no button {text!r} on {self.driver.current_url}")

    def field(self, label):
        """The form field of the <label> whose text is `label`."""
        for element in self.finds("label"):
            if element.text.strip() == label:
                target = element.get_attribute("for")
                return self.find(f"#{target}") if target else element.find_element(
                    "css selector", "input, select, textarea")
        raise AssertionError(f"no field {label!r} on {self.driver.current_url}")

    def text(self, css="main"):
        return self.find(css).text

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = predicate()
            except Exception:  # the page is changing under us: ask again
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s in vain on {self.driver.current_url}")

    def click_and_wait(self, element):
        """Click what leads to another page, and wait until it has replaced this one."""
        html = self.find("html")
        element.click()
        self.wait(lambda: self._stale(html) and self.driver.execute_script(
            "return document.readyState") == "complete")

    @staticmethod
    def _stale(element):
        from selenium.common.exceptions import StaleElementReferenceException

        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True

    # --- the portal --------------------------------------------------------------------------

    def goto(self, path):
        self.driver.get(self.base + path)

    def login(self, identifiant=accounts_demo.DEMO_NUMERO, password=accounts_demo.DEMO_PASSWORD):
        self.goto("/connexion")
        self.field("Identifiant").send_keys(identifiant)
        self.field("Mot de passe").send_keys(password)
        self.click_and_wait(self.button("Se connecter"))
        assert self.driver.current_url.endswith("/accueil"), self.driver.current_url

    def tab(self, name):
        self.click_and_wait(self.link(name, within='nav[aria-label="Menu principal"]'))

    def look(self, name, phone=False):
        """Accessibility check and screenshot of the page as it is now."""
        driver = self.driver
        if not driver.execute_script("return !!window.axe"):
            driver.execute_script(AXE.read_text(encoding="utf-8"))
        violations = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ["violations"]}).then(r => done(
              r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))));
        """)
        self.screenshot(name)
        assert violations == [], f"{name}: accessibility violations {violations}"
        if phone:  # nothing wider than the phone: the page never scrolls sideways
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            wide = [] if overflow <= 1 else driver.execute_script("""
                return [...document.querySelectorAll("body *")]
                  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                  .slice(0, 5).map(e => e.tagName + "." + e.className);""")
            assert overflow <= 1, f"{name}: {overflow}px wider than a {self.width}px phone: {wide}"

    def screenshot(self, name):
        """The whole page, not only what the window shows."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture
def desktop(driver, portal):
    return Browser(driver, portal, DESKTOP)


@pytest.fixture
def phone(driver, portal):
    browser = Browser(driver, portal, PHONE)
    yield browser
    driver.set_window_size(*DESKTOP)


@pytest.fixture(scope="session")
def planning_family(backoffice, portal):
    """A family whose child is enrolled in a prestation open for booking every weekday."""
    family = create_family(backoffice, nom="NAVIGATEUR", prenom="ANNE", password="Navigue2026")
    structure = backoffice.call("children", "create_structure", unique_code("Accueil navigateur"))
    prestation = make_prestation(backoffice, structure, nom="Atelier du soir",
                                 jours_semaine=[0, 1, 2, 3, 4, 5, 6], periode="scolaire")
    child = make_child(backoffice, family["family_id"], [prestation], nom="NAVIGATEUR",
                       prenom="LÉO")
    return {**family, "child": child, "prestation": prestation}


@pytest.fixture(scope="session")
def invoiced_family(backoffice, portal):
    """A family with one unpaid invoice (a month long past), payable online."""
    family = create_family(backoffice, nom="PAYEUR", prenom="PAULINE", password="Payeur2026",
                           email="pauline.payeur@example.org")
    structure = backoffice.call("children", "create_structure", unique_code("Cantine navigateur"))
    code = unique_code("REPAS")
    prestation = make_prestation(backoffice, structure, code=code, unite="repas")
    child = make_child(backoffice, family["family_id"], nom="PAYEUR", prenom="NINA")
    backoffice.call("children", "enrol", child["id"], prestation["id"], "2012-05-01",
                    "2012-05-31", "PAYEUR PAULINE")
    backoffice.call("billing", "save_regie", "NAV", "Régie navigateur")
    backoffice.call("billing", "save_tariff", code, "NAV", "Repas", "repas",
                    [{"qf_max": None, "price": "4.25"}], "5.00")
    backoffice.call("billing", "update_settings", online_payment=True)
    for day in ("2012-05-14", "2012-05-15"):
        backoffice.call("children", "record_attendance", child["id"], prestation["id"], day,
                        "present")

    def invoiced():
        backoffice.call("billing", "run_invoicing", "2012-05")
        return backoffice.call("billing", "unpaid_invoices", family["family_id"])["invoices"]
    invoices = wait_for(invoiced)
    assert invoices, "the invoice was not issued"
    return {**family, "invoice": invoices[0]}


def open_day(offset=10):
    """A weekday at least `offset` days ahead, past every booking deadline, not a holiday."""
    from services.children import calendar

    day = dt.date.today() + dt.timedelta(days=offset)
    while (day.weekday() >= 5 or calendar.public_holiday(day)
           or calendar.school_holiday(day) is not None):
        day += dt.timedelta(days=1)
    return day


