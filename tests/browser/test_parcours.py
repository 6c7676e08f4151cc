"""A parent's visits to the portal in headless Chromium: every tab of the demo family (desktop
and phone), the planning's menus by mouse and keyboard, an invoice's PDF, online payment
through the bank stub, messages, logout. Every page: no serious or critical axe-core violation,
a screenshot in .test-artifacts/browser/."""
import re

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from services.accounts import demo as accounts_demo
from tests.browser.conftest import open_day, wait_for

# The tabs of the guide, in the order a parent meets them.
TABS = ("Accueil", "Mon compte", "Mes enfants", "Relevé de compte", "Boîte de réception",
        "Liste des demandes")
# The other pages a parent reaches from them (left menus, sub-tabs).
PAGES = (("/releve-de-compte/factures", "mes-factures"),
         ("/releve-de-compte/reglements", "mes-reglements"),
         ("/boite-de-reception/nouveau", "nouveau-message"),
         ("/infos-documents", "infos-documents"),
         ("/infos-documents/formulaire", "formulaire"),
         ("/fiche-inscription", "fiche-inscription"),
         ("/changer-mot-de-passe", "changer-mot-de-passe"))


def slug(name):
    plain = name.lower().translate(str.maketrans("éèêîô", "eeeio"))
    return re.sub(r"[^a-z]+", "-", plain).strip("-")


def visit_every_page(browser, prefix="", phone=False):
    browser.goto("/connexion")
    browser.look(f"{prefix}connexion", phone)
    browser.login()
    for tab in TABS:
        # On a phone the tabs wrap onto several lines: each is still a link to follow.
        browser.tab(tab)
        assert browser.find("h1").is_displayed()
        browser.look(f"{prefix}onglet-{slug(tab)}", phone)
    browser.tab("Mes enfants")
    browser.click_and_wait(browser.link("LUCAS"))
    browser.look(f"{prefix}fiche-enfant", phone)
    browser.click_and_wait(browser.link("Agenda"))
    browser.driver.get(browser.driver.current_url.split("?")[0] + "?mois=2015-04")
    assert len(browser.finds('td[data-etat="ferie"]')) == 7
    browser.look(f"{prefix}agenda-avril-2015", phone)
    for path, name in PAGES:
        browser.goto(path)
        browser.look(f"{prefix}{name}", phone)


def test_the_demo_family_visits_every_tab(desktop):
    visit_every_page(desktop)
    desktop.tab("Accueil")
    shown = desktop.text()
    assert "Bienvenue JEAN DUPONT" in shown
    assert "Bienvenue sur le Portail Famille" in shown  # the collectivity's welcome message
    assert "LUCAS DUPONT" in shown and "EMMA DUPONT" in shown  # the children at the bottom


def test_every_page_works_at_phone_size(phone):
    visit_every_page(phone, prefix="telephone-", phone=True)


def test_booking_by_right_click_and_absence_by_keyboard(desktop, planning_family):
    desktop.login(planning_family["identifiant"], planning_family["password"])
    driver = desktop.driver
    day = open_day().isoformat()
    desktop.goto(f"/mes-enfants/{planning_family['child']['id']}/agenda?mois={day[:7]}")
    cell = f'a.case[data-date="{day}"]'

    # "Demande de Réservation" from the right-click menu.
    ActionChains(driver).context_click(desktop.find(cell)).perform()
    menu = desktop.find('[role="menu"]')
    assert menu.is_displayed()
    desktop.look("agenda-menu-clic-droit")
    desktop.click_and_wait(desktop.button("Demande de Réservation"))
    assert desktop.find('p.info[role="status"]').text
    assert desktop.find(f"td:has(> {cell})").get_attribute("data-etat") == "reserve"

    # The same request again is refused where the parent is: the reason shows, the page stays.
    html = desktop.find("html")
    ActionChains(driver).context_click(desktop.find(cell)).perform()
    desktop.button("Demande de Réservation").click()
    refusal = desktop.wait(lambda: desktop.find("#erreurs-demande").is_displayed()
                           and desktop.find("#erreurs-demande"))
    assert "Une réservation existe déjà" in refusal.text
    assert not desktop._stale(html) and refusal.get_attribute("role") == "alert"
    assert driver.switch_to.active_element.get_attribute("data-date") == day

    # "Déclarer une absence" with the keyboard only: Enter on the day, an arrow in the menu,
    # the reason, the confirmation box, the button.
    desktop.find(cell).send_keys(Keys.ENTER)
    active = driver.switch_to.active_element
    assert active.get_attribute("role") == "menuitem" and active.text == "Demande de Réservation"
    active.send_keys(Keys.ARROW_DOWN)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    motif = driver.switch_to.active_element
    assert motif.get_attribute("id") == "motif"
    motif.send_keys("Rendez-vous chez le médecin")
    motif.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys(Keys.SPACE)  # "Je confirme…"
    desktop.look("agenda-absence-clavier")
    driver.switch_to.active_element.send_keys(Keys.TAB)
    button = driver.switch_to.active_element
    assert button.text == "Déclarer une absence"
    html = desktop.find("html")
    button.send_keys(Keys.ENTER)
    desktop.wait(lambda: desktop._stale(html))
    state = desktop.wait(lambda: desktop.find(f'td:has(> {cell}), td:has(span.sr)') and
                         desktop.find(f'td[data-etat] a[data-date="{day}"], '
                                      f'td[data-etat="absence_traitement"]'))
    assert state
    cells = [td for td in desktop.finds("td[data-etat]") if day in (td.get_attribute("innerHTML") or "")
             or td.find_elements("css selector", f'a[data-date="{day}"]')]
    states = {td.get_attribute("data-etat") for td in cells}
    assert states & {"conge", "absence_traitement"}, states


def test_invoice_pdf_and_online_payment_through_the_bank_stub(desktop, invoiced_family, bank_stub):
    bank_stub.control("reinitialiser")
    invoice = invoiced_family["invoice"]
    desktop.login(invoiced_family["identifiant"], invoiced_family["password"])
    driver = desktop.driver
    desktop.tab("Relevé de compte")
    desktop.look("releve-de-compte")

    # The PDF icon: the invoice, downloaded by the browser with the parent's session.
    link = desktop.link(f"Facture {invoice['numero']} au format PDF")
    fetched = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(async r => done([r.status, r.headers.get("content-type"),
            new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]));
    """, link.get_attribute("href"))
    assert fetched == [200, "application/pdf", "%PDF-"]
    link.click()  # the browser keeps PDFs as files (no viewer in headless mode)
    pdf = wait_for(lambda: [p for p in driver.downloads.glob("*.pdf")])
    assert pdf and pdf[0].read_bytes().startswith(b"%PDF")

    # The card icon → the email for the receipt → the bank's page → back to the portal.
    desktop.goto("/accueil")
    desktop.click_and_wait(desktop.link(f"Payer en ligne la facture {invoice['numero']}"))
    desktop.look("paiement-adresse-recu")
    email = desktop.field("Adresse mail pour le reçu")
    email.clear()
    email.send_keys("recu.payeur@example.org")
    desktop.click_and_wait(desktop.button(f"Payer {invoice['remaining']} € par carte bancaire"))
    assert driver.current_url.startswith(bank_stub.url)
    assert invoice["remaining"] in desktop.text("body")
    desktop.field("Numéro de carte").send_keys("4111 1111 1111 1111")
    desktop.click_and_wait(desktop.button("Payer"))
    assert "/paiement/retour" in driver.current_url
    desktop.look("paiement-retour")

    # The bank's notification reached the gateway: the invoice is paid.
    def paid():
        desktop.goto("/accueil")
        return "Aucune facture impayée" in desktop.text()
    assert wait_for(paid)


def test_sending_and_reading_a_message(desktop, planning_family, backoffice):
    desktop.login(planning_family["identifiant"], planning_family["password"])
    desktop.tab("Boîte de réception")
    desktop.goto("/boite-de-reception/nouveau")
    Select(desktop.field("Structure")).select_by_index(1)
    desktop.field("Objet").send_keys("Question sur l'atelier")
    desktop.field("Message").send_keys("À quelle heure finit l'atelier du soir ?")
    desktop.click_and_wait(desktop.find('main form button[type="submit"]'))
    assert "Votre message a été envoyé." in desktop.text()
    desktop.look("messages-envoyes")

    # The structure answers (back office); the parent sees one new message and reads it.
    structure_id = backoffice.call("children", "family_structures",
                                   planning_family["family_id"])[0]["id"]
    thread = next(t for t in backoffice.call("messaging", "structure_threads", structure_id)
                  if t["subject"] == "Question sur l'atelier")
    backoffice.call("messaging", "structure_reply", structure_id, thread["id"],
                    "L'atelier finit à 18 h 30.")
    desktop.tab("Boîte de réception")
    assert desktop.find("#nouveaux-messages").text == "1"
    desktop.click_and_wait(desktop.link("Question sur l'atelier"))
    assert "L'atelier finit à 18 h 30." in desktop.text()
    assert desktop.find("#nouveaux-messages").text == "0"
    desktop.look("message-lu")


def test_logout_leads_to_the_collectivity_site(desktop, backoffice, portal):
    # The collectivity's real site is outside this closed network: for this test its "site"
    # is a page the browser can reach.
    site = backoffice.call("accounts", "get_collectivity")["site_url"]
    backoffice.call("accounts", "update_collectivity", site_url=f"{portal}/sante")
    try:
        desktop.login()
        desktop.click_and_wait(desktop.button("Déconnexion"))
        assert desktop.driver.current_url == f"{portal}/sante"
    finally:
        backoffice.call("accounts", "update_collectivity", site_url=site)
    desktop.goto("/accueil")
    assert "/connexion" in desktop.driver.current_url
    assert accounts_demo.DEMO_NUMERO not in desktop.text("body")


def test_a_mon_compte_change_request_and_the_list_of_requests(desktop, planning_family):
    """Issue 6's pages: "Infos Responsable" from Mon compte, then "Liste des demandes"."""
    desktop.login(planning_family["identifiant"], planning_family["password"])
    desktop.tab("Mon compte")
    desktop.click_and_wait(desktop.link("Infos Responsable"))
    desktop.look("demande-infos-responsable")
    # This family was created with a name only: the address is asked for too.
    for label, value in (("Adresse (obligatoire)", "8 RUE DES ÉCOLES"),
                         ("Code postal (obligatoire)", "31400"),
                         ("Ville (obligatoire)", "SAINT - JEAN"), ("Mobile", "06 12 34 56 78")):
        field = desktop.field(label)
        field.clear()
        field.send_keys(value)
    desktop.click_and_wait(desktop.button("Enregistrer"))
    assert not desktop.finds(".erreur"), desktop.text(".erreur")
    # The request waits for the collectivity: shown in the "Liste des demandes".
    assert "/liste-des-demandes" in desktop.driver.current_url
    shown = desktop.text()
    assert "transmise à la collectivité" in shown and "Mobile" in shown
    assert re.search(r"06[ .]?12[ .]?34[ .]?56[ .]?78", shown)
    desktop.look("liste-des-demandes-apres-demande")
