"""trace-replay: a week of agent traces from a RAG support assistant, with planted failures.

Tidewell (the online store of triage-eval) runs *Tidewell Assist*, a chat agent on the
website, in the app and in the help widget. For every customer message it retrieves
help-center articles (a retriever returns 8, ranked; the top ``k`` go into the prompt),
may call tools (order, refund, returns, warranty, membership, payments, account, and a
hand-off to a human), and writes an answer that lists the articles it cites. An automated
rubric (an LLM judge) scores every answer from 1 to 5; the dashboard counts a trace as
passing at or above ``score_bar``. The replay team exported a sample of last week's
sessions (one trace per customer message, several per session) and labelled each trace
with the customer's intent and the articles that actually answer it (gold).

What is planted (all drawn from the rng, see ``sample_parameters``):

- the dominant first failing stage, each with its own cause that starts mid-week (so
  customer escalations rise): a tool-gateway incident (errors and timeouts), an index
  rebuild that serves one language the wrong locale or the archived version
  (retrieval), a prompt change after which the model misstates numbers of the articles
  it cites on two intents (grounding), or a release after which non-English customers
  get English replies (instruction);
- answers that contradict the article they cite: a number (days, hours, minutes, months,
  years, a price) stated differently from the cited article, in digits or in words;
- the stage the rubric lets through (passes most often): never the dominant one;
- a tool that succeeds but is the wrong one for the intent (one of three pairs);
- retrieval near-misses: the gold article in another language, the archived version of
  the policy, the intent's other article; gold articles ranked just below ``k``;
- agent-initiated hand-offs (a ``handoff_to_human`` call the agent starts itself), which
  are not customer escalations;
- three traces for W2, one per diagnosis, whose ids are public parameters.

``generate_with_truth`` also returns the planted truth per trace (for the tests).
"""

import bisect
import datetime as dt
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

LANGS = ("en", "es", "de")
LOCALES = {"en": ("en-US", "en-US", "en-US", "en-GB", "en-CA"), "es": ("es-ES", "es-MX", "es-ES"),
           "de": ("de-DE", "de-DE", "de-AT", "de-CH")}
CHANNELS = {"web_chat": 0.5, "app_chat": 0.32, "help_widget": 0.18}
STAGES = ("tool", "retrieval", "grounding", "instruction")
K_CHOICES = (3, 4, 5)
SCORE_BAR_CHOICES = (3.5, 3.75, 4.0)
N_RETRIEVED = 8
AGENT_VERSIONS = ("assist-2026.11.1", "assist-2026.11.2")
MODEL = "tw-assist-llm-2026-10"
WEEK_HOURS = 168

# ---------------------------------------------------------------------------------------
# The help center. An article states facts; a fact's numbers are named slots ({n}, {a},
# {price}), so an answer can restate it in its own words, or get a number wrong.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One statement of an article: its sentence per language, the answer's paraphrases
    per language, its numbers, and the wrong numbers a confused model writes instead."""

    article: dict[str, str]
    answer: dict[str, tuple[str, ...]]
    values: dict[str, float] = field(default_factory=dict)
    eu_values: dict[str, float] = field(default_factory=dict)  # prices in € (es, de)
    alts: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def numbers(self, lang: str) -> dict[str, float]:
        return self.values | (self.eu_values if lang != "en" else {})


@dataclass(frozen=True)
class Article:
    number: int
    section: str
    intent: str | None
    title: dict[str, str]
    facts: tuple[Fact, ...]
    archived: bool = False
    primary: bool = True  # the main article for its intent (vs. the second one)
    languages: tuple[str, ...] = LANGS


def _f(article: dict[str, str], answer: dict[str, tuple[str, ...]], **spec: Any) -> Fact:
    return Fact(article, answer, **spec)


ARTICLES: tuple[Article, ...] = (
    Article(1012, "Orders & delivery", "order_status", {
        "en": "Track your order", "es": "Seguir tu pedido", "de": "Bestellung verfolgen"}, (
        _f({"en": "You can follow every shipment under Account > Orders > Track package.",
            "es": "Puedes seguir cada envío en Cuenta > Pedidos > Seguir paquete.",
            "de": "Jede Sendung finden Sie unter Konto > Bestellungen > Sendung verfolgen."},
           {"en": ("You can also follow it yourself under Account > Orders > Track package.",),
            "es": ("También puedes seguirlo en Cuenta > Pedidos > Seguir paquete.",),
            "de": ("Sie können die Sendung auch selbst unter Konto > Bestellungen > Sendung "
                   "verfolgen ansehen.",)}),
        _f({"en": "Tracking updates can take up to {n} hours to appear after your order ships.",
            "es": "El seguimiento puede tardar hasta {n} horas en actualizarse tras el envío.",
            "de": "Nach dem Versand kann es bis zu {n} Stunden dauern, bis das Tracking "
                  "aktualisiert wird."},
           {"en": ("Tracking can lag by up to {n} hours after a parcel ships, so a quiet "
                   "tracker isn't unusual at first.",
                   "It can take up to {n} hours before the first tracking scan shows up."),
            "es": ("El seguimiento puede tardar hasta {n} horas en reflejar el envío, así "
                   "que al principio es normal no ver cambios.",),
            "de": ("Bis das Tracking die Sendung zeigt, können bis zu {n} Stunden vergehen; "
                   "anfangs ist das also normal.",)},
           values={"n": 24}, alts={"n": (6, 12, 48, 72)}),
        _f({"en": "Standard delivery takes {a}-{b} business days; express takes 1-2 business "
                  "days.",
            "es": "La entrega estándar tarda de {a} a {b} días hábiles; la exprés, de 1 a 2.",
            "de": "Der Standardversand dauert {a}-{b} Werktage, der Expressversand 1-2 "
                  "Werktage."},
           {"en": ("Standard shipping normally takes {a}-{b} business days.",
                   "Most standard orders arrive within {a}-{b} business days."),
            "es": ("La entrega estándar suele tardar de {a} a {b} días hábiles.",),
            "de": ("Mit Standardversand sind es in der Regel {a}-{b} Werktage.",)},
           values={"a": 3, "b": 5}, alts={"b": (7, 8, 10)}))),
    Article(1020, "Orders & delivery", "change_address", {
        "en": "Change your delivery address", "es": "Cambiar la dirección de entrega",
        "de": "Lieferadresse ändern"}, (
        _f({"en": "You can change the delivery address until the order status shows Shipped.",
            "es": "Puedes cambiar la dirección hasta que el pedido aparezca como Enviado.",
            "de": "Sie können die Lieferadresse ändern, bis die Bestellung als Versendet "
                  "angezeigt wird."},
           {"en": ("The address can be changed as long as the order hasn't shipped yet.",),
            "es": ("La dirección se puede cambiar mientras el pedido no se haya enviado.",),
            "de": ("Solange die Bestellung nicht versendet ist, lässt sich die Adresse "
                   "ändern.",)}),
        _f({"en": "Once an order has shipped, the carrier can only redirect it to a pickup "
                  "point.",
            "es": "Una vez enviado, el transportista solo puede desviarlo a un punto de "
                  "recogida.",
            "de": "Nach dem Versand kann der Paketdienst nur noch an eine Packstation "
                  "umleiten."},
           {"en": ("Once it has shipped, the carrier can only send it to a pickup point "
                   "instead.",),
            "es": ("Si ya salió, el transportista solo puede llevarlo a un punto de "
                   "recogida.",),
            "de": ("Ist sie schon unterwegs, kann der Paketdienst sie nur noch an eine "
                   "Packstation umleiten.",)}),
        _f({"en": "Address changes can take up to {n} minutes to show in your order.",
            "es": "El cambio puede tardar hasta {n} minutos en verse en el pedido.",
            "de": "Es kann bis zu {n} Minuten dauern, bis die Änderung in der Bestellung "
                  "erscheint."},
           {"en": ("The new address may take up to {n} minutes to appear in your order.",),
            "es": ("La nueva dirección puede tardar hasta {n} minutos en aparecer.",),
            "de": ("Die neue Adresse kann bis zu {n} Minuten brauchen, bis sie angezeigt "
                   "wird.",)},
           values={"n": 15}, alts={"n": (5, 45, 60)}))),
    Article(2041, "Returns & refunds", "refund_status", {
        "en": "When will I get my refund?", "es": "¿Cuándo recibiré mi reembolso?",
        "de": "Wann bekomme ich meine Erstattung?"}, (
        _f({"en": "Refunds are issued within {n} business days after your return reaches our "
                  "warehouse.",
            "es": "Emitimos el reembolso en un plazo de {n} días hábiles desde que la "
                  "devolución llega a nuestro almacén.",
            "de": "Wir erstatten innerhalb von {n} Werktagen, nachdem Ihre Rücksendung in "
                  "unserem Lager eingegangen ist."},
           {"en": ("Once your return reaches our warehouse, the refund is issued within {n} "
                   "business days.",
                   "We issue refunds within {n} business days of the return arriving at "
                   "our warehouse."),
            "es": ("Cuando la devolución llega al almacén, emitimos el reembolso en {n} días "
                   "hábiles como máximo.",),
            "de": ("Sobald die Rücksendung im Lager ist, erstatten wir innerhalb von {n} "
                   "Werktagen.",)},
           values={"n": 2}, alts={"n": (4, 7, 14)}),
        _f({"en": "Card refunds take {a}-{b} business days to show on your statement, "
                  "depending on your bank.",
            "es": "Los reembolsos a tarjeta tardan de {a} a {b} días hábiles en aparecer, "
                  "según tu banco.",
            "de": "Kartenerstattungen erscheinen je nach Bank nach {a}-{b} Werktagen auf "
                  "Ihrer Abrechnung."},
           {"en": ("After that, your bank usually needs {a}-{b} business days to show it on "
                   "your statement.",),
            "es": ("Después, tu banco suele tardar de {a} a {b} días hábiles en mostrarlo.",),
            "de": ("Danach braucht Ihre Bank meist {a}-{b} Werktage, bis es auf dem "
                   "Kontoauszug steht.",)},
           values={"a": 5, "b": 10}, alts={"b": (15, 20)}),
        _f({"en": "You get an email with the refund amount as soon as the refund is issued.",
            "es": "Recibirás un correo con el importe en cuanto se emita el reembolso.",
            "de": "Sobald die Erstattung ausgelöst ist, erhalten Sie eine E-Mail mit dem "
                  "Betrag."},
           {"en": ("You'll also get an email with the amount the moment it's issued.",),
            "es": ("Te llegará un correo con el importe en cuanto se emita.",),
            "de": ("Sie bekommen eine E-Mail mit dem Betrag, sobald sie ausgelöst ist.",)}))),
    Article(2043, "Returns & refunds", "refund_status", {
        "en": "Refund methods", "es": "Métodos de reembolso", "de": "Erstattungswege"}, (
        _f({"en": "Refunds go back to the original payment method.",
            "es": "El reembolso se hace al método de pago original.",
            "de": "Die Erstattung erfolgt auf das ursprüngliche Zahlungsmittel."},
           {"en": ("The money goes back to the payment method you used.",),
            "es": ("El dinero vuelve al método de pago que usaste.",),
            "de": ("Das Geld geht auf das Zahlungsmittel zurück, mit dem Sie bezahlt "
                   "haben.",)}),
        _f({"en": "PayPal refunds usually arrive within {n} business days.",
            "es": "Los reembolsos por PayPal suelen llegar en {n} días hábiles.",
            "de": "PayPal-Erstattungen kommen meist innerhalb von {n} Werktagen an."},
           {"en": ("If you paid with PayPal, it's usually there within {n} business days.",),
            "es": ("Si pagaste con PayPal, suele llegar en {n} días hábiles.",),
            "de": ("Bei PayPal ist das Geld meist innerhalb von {n} Werktagen da.",)},
           values={"n": 3}, alts={"n": (6, 8, 10)})), primary=False),
    Article(2010, "Returns & refunds", "return_request", {
        "en": "Return window and conditions", "es": "Plazo y condiciones de devolución",
        "de": "Rückgabefrist und Bedingungen"}, (
        _f({"en": "You can return most items within {n} days of delivery.",
            "es": "Puedes devolver la mayoría de los artículos en los {n} días siguientes a "
                  "la entrega.",
            "de": "Die meisten Artikel können Sie innerhalb von {n} Tagen nach Lieferung "
                  "zurückgeben."},
           {"en": ("Most items can be returned within {n} days of delivery.",
                   "You have {n} days from delivery to send most items back."),
            "es": ("Tienes {n} días desde la entrega para devolver la mayoría de los "
                   "artículos.",),
            "de": ("Für die meisten Artikel haben Sie ab Lieferung {n} Tage Zeit für die "
                   "Rückgabe.",)},
           values={"n": 30}, alts={"n": (21, 45, 90)}),
        _f({"en": "Items must be unused and in their original packaging.",
            "es": "Los artículos deben estar sin usar y en su embalaje original.",
            "de": "Die Artikel müssen unbenutzt und originalverpackt sein."},
           {"en": ("The item needs to be unused and in its original packaging.",),
            "es": ("El artículo debe estar sin usar y en su caja original.",),
            "de": ("Der Artikel muss unbenutzt und in der Originalverpackung sein.",)}),
        _f({"en": "Tidewell Plus members get {n} days to return.",
            "es": "Los miembros de Tidewell Plus tienen {n} días para devolver.",
            "de": "Tidewell-Plus-Mitglieder haben {n} Tage Rückgaberecht."},
           {"en": ("With Tidewell Plus you get {n} days instead.",),
            "es": ("Con Tidewell Plus tienes {n} días.",),
            "de": ("Mit Tidewell Plus sind es {n} Tage.",)},
           values={"n": 60}, alts={"n": (75, 120)}))),
    Article(2012, "Returns & refunds", "return_request", {
        "en": "Start a return", "es": "Iniciar una devolución", "de": "Rücksendung starten"}, (
        _f({"en": "Start a return under Account > Orders > Return items.",
            "es": "Inicia la devolución en Cuenta > Pedidos > Devolver artículos.",
            "de": "Starten Sie die Rücksendung unter Konto > Bestellungen > Artikel "
                  "zurücksenden."},
           {"en": ("You can start it under Account > Orders > Return items.",),
            "es": ("Puedes iniciarla en Cuenta > Pedidos > Devolver artículos.",),
            "de": ("Das geht unter Konto > Bestellungen > Artikel zurücksenden.",)}),
        _f({"en": "Return labels are free for defective items; otherwise we deduct {price} "
                  "from the refund.",
            "es": "La etiqueta es gratuita para artículos defectuosos; si no, descontamos "
                  "{price} del reembolso.",
            "de": "Für defekte Artikel ist das Etikett kostenlos, sonst ziehen wir {price} "
                  "von der Erstattung ab."},
           {"en": ("The label is free if the item is defective; otherwise {price} comes off "
                   "the refund.",),
            "es": ("Si el artículo no es defectuoso, se descuentan {price} del reembolso "
                   "por la etiqueta.",),
            "de": ("Ist der Artikel nicht defekt, ziehen wir {price} für das Etikett von der "
                   "Erstattung ab.",)},
           values={"price": 6.95}, eu_values={"price": 4.95},
           alts={"price": (5.95, 7.95, 9.95)}),
        _f({"en": "Drop the parcel off within {n} days of printing the label.",
            "es": "Entrega el paquete en los {n} días siguientes a imprimir la etiqueta.",
            "de": "Geben Sie das Paket innerhalb von {n} Tagen nach dem Drucken des Etiketts "
                  "ab."},
           {"en": ("Please drop the parcel off within {n} days of printing the label.",),
            "es": ("Tienes {n} días para entregar el paquete desde que imprimes la "
                   "etiqueta.",),
            "de": ("Bitte geben Sie das Paket innerhalb von {n} Tagen nach dem Drucken ab.",)},
           values={"n": 14}, alts={"n": (5, 7, 10)})), primary=False),
    Article(3005, "Warranty & repairs", "warranty_claim", {
        "en": "Tidewell warranty coverage", "es": "Cobertura de la garantía Tidewell",
        "de": "Tidewell-Garantieumfang"}, (
        _f({"en": "Tidewell electronics come with a {n}-year limited warranty from the date "
                  "of delivery.",
            "es": "Los productos electrónicos Tidewell tienen una garantía limitada de {n} "
                  "años desde la entrega.",
            "de": "Tidewell-Elektronik hat ab Lieferung eine eingeschränkte Garantie von {n} "
                  "Jahren."},
           {"en": ("Our electronics carry a {n}-year limited warranty from delivery.",
                   "The limited warranty runs for {n} years from the delivery date."),
            "es": ("La garantía limitada dura {n} años desde la entrega.",),
            "de": ("Die eingeschränkte Garantie gilt {n} Jahre ab Lieferung.",)},
           values={"n": 2}, alts={"n": (3, 4, 5)}),
        _f({"en": "The warranty covers manufacturing defects, not accidental or water damage.",
            "es": "La garantía cubre defectos de fabricación, no daños accidentales ni por "
                  "agua.",
            "de": "Die Garantie deckt Herstellungsfehler, keine Unfall- oder Wasserschäden."},
           {"en": ("It covers manufacturing defects, but not drops or water damage.",),
            "es": ("Cubre defectos de fabricación, pero no golpes ni daños por agua.",),
            "de": ("Abgedeckt sind Herstellungsfehler, nicht aber Sturz- oder "
                   "Wasserschäden.",)}),
        _f({"en": "Batteries are covered for {n} months.",
            "es": "Las baterías están cubiertas durante {n} meses.",
            "de": "Akkus sind {n} Monate abgedeckt."},
           {"en": ("Batteries are covered for {n} months.",
                   "For the battery, coverage is {n} months."),
            "es": ("La batería tiene {n} meses de cobertura.",),
            "de": ("Für den Akku gilt die Garantie {n} Monate.",)},
           values={"n": 12}, alts={"n": (6, 18, 24)}))),
    Article(3007, "Warranty & repairs", "warranty_claim", {
        "en": "File a warranty claim", "es": "Presentar una reclamación de garantía",
        "de": "Garantieanspruch melden"}, (
        _f({"en": "To file a warranty claim you need the serial number and a short "
                  "description of the fault.",
            "es": "Para reclamar la garantía necesitas el número de serie y una breve "
                  "descripción de la avería.",
            "de": "Für einen Garantieanspruch brauchen Sie die Seriennummer und eine kurze "
                  "Fehlerbeschreibung."},
           {"en": ("For a claim we need the serial number and a short description of the "
                   "fault.",),
            "es": ("Para la reclamación necesitamos el número de serie y una breve "
                   "descripción.",),
            "de": ("Für den Garantiefall brauchen wir die Seriennummer und eine kurze "
                   "Beschreibung.",)}),
        _f({"en": "Warranty repairs take about {n} business days once we receive the item.",
            "es": "Las reparaciones en garantía tardan unos {n} días hábiles desde que "
                  "recibimos el artículo.",
            "de": "Garantiereparaturen dauern etwa {n} Werktage ab Eingang des Artikels."},
           {"en": ("Repairs take about {n} business days once the item reaches us.",),
            "es": ("La reparación tarda unos {n} días hábiles desde que nos llega.",),
            "de": ("Die Reparatur dauert etwa {n} Werktage, sobald der Artikel bei uns "
                   "ist.",)},
           values={"n": 10}, alts={"n": (4, 6, 20)})), primary=False),
    Article(4002, "Tidewell Plus", "cancel_membership", {
        "en": "Cancel Tidewell Plus", "es": "Cancelar Tidewell Plus",
        "de": "Tidewell Plus kündigen"}, (
        _f({"en": "You can cancel Tidewell Plus at any time under Account > Membership.",
            "es": "Puedes cancelar Tidewell Plus cuando quieras en Cuenta > Membresía.",
            "de": "Sie können Tidewell Plus jederzeit unter Konto > Mitgliedschaft kündigen."},
           {"en": ("You can cancel any time under Account > Membership.",),
            "es": ("Puedes cancelarla cuando quieras en Cuenta > Membresía.",),
            "de": ("Sie können jederzeit unter Konto > Mitgliedschaft kündigen.",)}),
        _f({"en": "Your benefits continue until the end of the current billing period.",
            "es": "Tus ventajas siguen activas hasta el final del periodo de facturación.",
            "de": "Ihre Vorteile bleiben bis zum Ende des laufenden Abrechnungszeitraums "
                  "aktiv."},
           {"en": ("Your benefits stay active until the end of the billing period.",),
            "es": ("Las ventajas siguen hasta que termine el periodo de facturación.",),
            "de": ("Die Vorteile gelten bis zum Ende des Abrechnungszeitraums.",)}),
        _f({"en": "If you cancel within {n} days of being charged and haven't used any "
                  "benefits, we refund the full fee.",
            "es": "Si cancelas en los {n} días siguientes al cobro sin haber usado ventajas, "
                  "te devolvemos la cuota completa.",
            "de": "Wenn Sie innerhalb von {n} Tagen nach der Abbuchung kündigen und keine "
                  "Vorteile genutzt haben, erstatten wir den vollen Beitrag."},
           {"en": ("If you cancel within {n} days of the charge and haven't used any "
                   "benefits, you get the full fee back.",),
            "es": ("Si cancelas en {n} días desde el cobro y no has usado ventajas, te "
                   "devolvemos toda la cuota.",),
            "de": ("Kündigen Sie innerhalb von {n} Tagen nach der Abbuchung ohne Vorteile "
                   "genutzt zu haben, bekommen Sie den vollen Beitrag zurück.",)},
           values={"n": 14}, alts={"n": (7, 21, 30)}))),
    Article(5001, "Account & sign-in", "account_access", {
        "en": "Reset your password", "es": "Restablecer la contraseña",
        "de": "Passwort zurücksetzen"}, (
        _f({"en": "Use Forgot password on the sign-in page to get a reset link by email.",
            "es": "Usa ¿Olvidaste tu contraseña? en la página de acceso para recibir un "
                  "enlace por correo.",
            "de": "Über Passwort vergessen auf der Anmeldeseite erhalten Sie einen Link per "
                  "E-Mail."},
           {"en": ("Forgot password on the sign-in page sends you a fresh reset link.",),
            "es": ("Desde ¿Olvidaste tu contraseña? recibirás un enlace nuevo.",),
            "de": ("Über Passwort vergessen bekommen Sie einen neuen Link.",)}),
        _f({"en": "The reset link expires after {n} minutes.",
            "es": "El enlace caduca a los {n} minutos.",
            "de": "Der Link ist {n} Minuten gültig."},
           {"en": ("The link only works for {n} minutes, so use it right away.",
                   "Reset links expire after {n} minutes."),
            "es": ("El enlace solo vale {n} minutos, así que úsalo enseguida.",),
            "de": ("Der Link gilt nur {n} Minuten, nutzen Sie ihn also gleich.",)},
           values={"n": 30}, alts={"n": (10, 60, 90)}),
        _f({"en": "If the email doesn't arrive, check your spam folder or add "
                  "no-reply@tidewell.com to your contacts.",
            "es": "Si no llega el correo, revisa la carpeta de spam o añade "
                  "no-reply@tidewell.com a tus contactos.",
            "de": "Kommt keine E-Mail an, prüfen Sie den Spam-Ordner oder fügen Sie "
                  "no-reply@tidewell.com zu Ihren Kontakten hinzu."},
           {"en": ("If it doesn't show up, have a look in your spam folder.",),
            "es": ("Si no aparece, mira en la carpeta de spam.",),
            "de": ("Falls nichts ankommt, schauen Sie bitte im Spam-Ordner nach.",)}))),
    Article(5003, "Account & sign-in", "account_access", {
        "en": "Two-step verification", "es": "Verificación en dos pasos",
        "de": "Zwei-Schritt-Verifizierung"}, (
        _f({"en": "If you lost access to your phone, use one of your backup codes.",
            "es": "Si ya no tienes el móvil, usa uno de tus códigos de respaldo.",
            "de": "Haben Sie keinen Zugriff mehr auf Ihr Handy, nutzen Sie einen Backup-Code."},
           {"en": ("Without your old phone, one of your backup codes will get you in.",),
            "es": ("Sin el móvil antiguo, puedes entrar con un código de respaldo.",),
            "de": ("Ohne das alte Handy kommen Sie mit einem Backup-Code hinein.",)}),
        _f({"en": "Without backup codes, our team verifies your identity first; this takes "
                  "{a}-{b} business days.",
            "es": "Sin códigos de respaldo, verificamos tu identidad primero; tarda de {a} a "
                  "{b} días hábiles.",
            "de": "Ohne Backup-Codes prüfen wir zuerst Ihre Identität; das dauert {a}-{b} "
                  "Werktage."},
           {"en": ("If you don't have backup codes, our team has to verify your identity "
                   "first, which takes {a}-{b} business days.",),
            "es": ("Sin códigos, primero verificamos tu identidad: son de {a} a {b} días "
                   "hábiles.",),
            "de": ("Ohne Codes prüfen wir erst Ihre Identität, das dauert {a}-{b} "
                   "Werktage.",)},
           values={"a": 1, "b": 2}, alts={"b": (4, 5, 7)})), primary=False),
    Article(6004, "Payments", "payment_issue", {
        "en": "Why do I see two charges?", "es": "¿Por qué veo dos cargos?",
        "de": "Warum sehe ich zwei Abbuchungen?"}, (
        _f({"en": "A second charge is usually a pending authorization that disappears within "
                  "{a}-{b} business days.",
            "es": "Un segundo cargo suele ser una autorización pendiente que desaparece en "
                  "{a}-{b} días hábiles.",
            "de": "Eine zweite Abbuchung ist meist eine vorgemerkte Autorisierung, die nach "
                  "{a}-{b} Werktagen verschwindet."},
           {"en": ("The second charge is most likely a pending authorization; those drop off "
                   "within {a}-{b} business days.",),
            "es": ("El segundo cargo suele ser una autorización pendiente, que desaparece en "
                   "{a}-{b} días hábiles.",),
            "de": ("Die zweite Buchung ist meist nur vorgemerkt und verschwindet nach "
                   "{a}-{b} Werktagen.",)},
           values={"a": 3, "b": 5}, alts={"b": (7, 10)}),
        _f({"en": "We only charge your card when the order ships.",
            "es": "Solo cobramos la tarjeta cuando se envía el pedido.",
            "de": "Wir belasten Ihre Karte erst, wenn die Bestellung versendet wird."},
           {"en": ("We only actually charge the card once the order ships.",),
            "es": ("Solo cobramos de verdad cuando sale el pedido.",),
            "de": ("Belastet wird die Karte erst beim Versand.",)}),
        _f({"en": "If both charges are still there after {n} business days, send us your "
                  "statement and we'll investigate.",
            "es": "Si tras {n} días hábiles siguen los dos cargos, envíanos el extracto y lo "
                  "investigamos.",
            "de": "Sind nach {n} Werktagen noch beide Buchungen da, schicken Sie uns Ihren "
                  "Kontoauszug."},
           {"en": ("If you still see both after {n} business days, send us the statement "
                   "and we'll dig in.",),
            "es": ("Si pasados {n} días hábiles siguen ahí, mándanos el extracto.",),
            "de": ("Sehen Sie nach {n} Werktagen noch beide, schicken Sie uns bitte den "
                   "Kontoauszug.",)},
           values={"n": 5}, alts={"n": (2, 8, 10)}))),
    Article(6006, "Payments", None, {
        "en": "Payment declined at checkout", "es": "Pago rechazado al pagar",
        "de": "Zahlung beim Bezahlen abgelehnt"}, (
        _f({"en": "Payments are often declined when the billing address doesn't match the "
                  "one your bank has.",
            "es": "Los pagos suelen rechazarse si la dirección de facturación no coincide con "
                  "la de tu banco.",
            "de": "Zahlungen werden oft abgelehnt, wenn die Rechnungsadresse nicht mit der "
                  "bei Ihrer Bank übereinstimmt."}, {}),
        _f({"en": "We accept Visa, Mastercard, American Express, PayPal and Tidewell gift "
                  "cards.",
            "es": "Aceptamos Visa, Mastercard, American Express, PayPal y tarjetas regalo "
                  "Tidewell.",
            "de": "Wir akzeptieren Visa, Mastercard, American Express, PayPal und "
                  "Tidewell-Geschenkkarten."}, {}))),
    # Archived policies, still in the index: the stale version of a current article.
    Article(2009, "Returns & refunds", None, {"en": "[Archived] Return policy (2024)"}, (
        _f({"en": "You can return most items within {n} days of delivery."},
           {"en": ("Most items can be returned within {n} days of delivery.",),
            "es": ("Tienes {n} días desde la entrega para devolver la mayoría de los "
                   "artículos.",),
            "de": ("Für die meisten Artikel haben Sie ab Lieferung {n} Tage Zeit.",)},
           values={"n": 14}),
        _f({"en": "Return shipping costs {price} for all items."},
           {"en": ("Return shipping is {price} per parcel.",),
            "es": ("El envío de la devolución cuesta {price}.",),
            "de": ("Der Rückversand kostet {price}.",)},
           values={"price": 9.95})), archived=True, languages=("en",)),
    Article(2040, "Returns & refunds", None, {"en": "[Archived] Refund timing (2024)"}, (
        _f({"en": "Refunds are issued within {n} business days after we receive your return."},
           {"en": ("Refunds are issued within {n} business days after we receive the "
                   "return.",),
            "es": ("Emitimos el reembolso en {n} días hábiles desde que recibimos la "
                   "devolución.",),
            "de": ("Wir erstatten innerhalb von {n} Werktagen nach Eingang der "
                   "Rücksendung.",)},
           values={"n": 14}),
        _f({"en": "Refunds for orders older than {n} days are paid as store credit."},
           {"en": ("For orders older than {n} days the refund comes as store credit.",),
            "es": ("Si el pedido tiene más de {n} días, se reembolsa como saldo.",),
            "de": ("Bei Bestellungen, die älter als {n} Tage sind, gibt es Guthaben.",)},
           values={"n": 90})), archived=True, languages=("en",)),
    Article(4001, "Tidewell Plus", None, {"en": "[Archived] Tidewell Plus FAQ (2024)"}, (
        _f({"en": "Tidewell Plus can only be cancelled by phone."},
           {"en": ("Tidewell Plus can only be cancelled over the phone.",),
            "es": ("Tidewell Plus solo se puede cancelar por teléfono.",),
            "de": ("Tidewell Plus lässt sich nur telefonisch kündigen.",)}),
        _f({"en": "Refunds of the Plus fee are possible within {n} days of being charged."},
           {"en": ("A refund of the fee is possible within {n} days of the charge.",),
            "es": ("Puedes recuperar la cuota en los {n} días siguientes al cobro.",),
            "de": ("Eine Erstattung des Beitrags geht innerhalb von {n} Tagen nach der "
                   "Abbuchung.",)},
           values={"n": 3})), archived=True, languages=("en",)),
    Article(1030, "Orders & delivery", None, {
        "en": "Shipping to Alaska, Hawaii and Puerto Rico"}, (
        _f({"en": "Orders to Alaska, Hawaii and Puerto Rico ship by USPS Priority Mail."}, {}),
        _f({"en": "Delivery to these areas takes {a}-{b} business days."}, {},
           values={"a": 5, "b": 9})), languages=("en",)),
    Article(7002, "Gift cards", None, {"en": "Gift cards"}, (
        _f({"en": "Tidewell gift cards never expire."}, {}),
        _f({"en": "Gift cards can't be exchanged for cash."}, {})), languages=("en",)),
    Article(6010, "Payments", None, {"en": "Price adjustments"}, (
        _f({"en": "If the price of an item drops within {n} days of your purchase, we refund "
                  "the difference once."}, {}, values={"n": 14}),
        _f({"en": "Price adjustments don't apply to clearance items."}, {})),
        languages=("en",)),
    Article(8001, "Product help", None, {"en": "Caring for your Drift 2 robot vacuum"}, (
        _f({"en": "Empty the dust bin after every run."}, {}),
        _f({"en": "Replace the filter every {n} months."}, {}, values={"n": 3})),
        languages=("en",)),
)
# The archived policy that still competes with the current article of an intent.
STALE_ARTICLE = {"refund_status": 2040, "return_request": 2009, "cancel_membership": 4001}
SECTION_SLUG = {"Orders & delivery": "orders", "Returns & refunds": "returns",
                "Warranty & repairs": "warranty", "Tidewell Plus": "plus",
                "Account & sign-in": "account", "Payments": "payments",
                "Gift cards": "gift-cards", "Product help": "products"}
NUMBER_WORDS = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
           "ten", "", "twelve"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
           "diez", "", "doce"),
    "de": ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
           "zehn", "", "zwölf"),
}


# Numbers an answer may write as words (eleven is left out: Spanish "once" is English too).
WORD_VALUES = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12)


def fmt_price(lang: str, value: float) -> str:
    if lang == "en":
        return f"${value:,.2f}"
    return f"{value:.2f}".replace(".", ",") + " €"


def render(template: str, numbers: dict[str, float], lang: str, words: bool = False) -> str:
    """A fact with its numbers filled in; ``words`` writes 2-12 as words."""
    out = {}
    for name, value in numbers.items():
        if name == "price":
            out[name] = fmt_price(lang, value)
        elif words and len(numbers) == 1 and value in WORD_VALUES and (
                "{" + name + "}-" not in template):
            out[name] = NUMBER_WORDS[lang][int(value)]
        else:
            out[name] = str(int(value))
    return template.format(**out)
QUERIES: dict[str, dict[str, tuple[str, ...]]] = {
    "order_status": {
        "en": ("where is my order {order}? it said delivery by {date}",
               "Hi, my package hasn't moved since {date}, order {order}. Can you check?",
               "tracking for {order} just says label created. is it actually shipped??"),
        "es": ("¿Dónde está mi pedido {order}? Tenía que llegar el {date}.",
               "hola, el seguimiento del pedido {order} no se mueve desde el {date}"),
        "de": ("Wo bleibt meine Bestellung {order}? Sollte am {date} kommen.",
               "Sendungsverfolgung für {order} zeigt seit {date} nichts Neues, was ist da "
               "los?")},
    "change_address": {
        "en": ("I need to change the shipping address on {order}, I'm moving this week",
               "Can you send order {order} to my office instead? Wrong address at checkout.",
               "typo in my street name on {order}, can it still be fixed?"),
        "es": ("¿Puedo cambiar la dirección de entrega del pedido {order}? Me mudo.",
               "puse mal la calle en el pedido {order}, se puede corregir?"),
        "de": ("Kann ich die Lieferadresse für {order} noch ändern? Ziehe gerade um.",
               "Bei {order} ist die Hausnummer falsch, kann man das noch korrigieren?")},
    "refund_status": {
        "en": ("I returned order {order} two weeks ago, where is my refund of {amount}?",
               "still no refund for {order}. UPS shows it was delivered to you on {date}",
               "when do I get my money back for the return on {order}?"),
        "es": ("Devolví el pedido {order} hace dos semanas y no veo el reembolso de "
               "{amount}.",
               "¿cuándo me devuelven el dinero del pedido {order}? lo enviaron el {date}"),
        "de": ("Ich habe {order} vor zwei Wochen zurückgeschickt, wo bleibt die Erstattung "
               "über {amount}?",
               "Wann bekomme ich mein Geld für die Rücksendung {order}? Abgegeben am "
               "{date}.")},
    "return_request": {
        "en": ("I want to return the {product} from order {order}, how do I do that?",
               "can I still return {order}? got it on {date} and don't like it",
               "How do I get a return label for {order}? The {product} is the wrong size."),
        "es": ("Quiero devolver el {product} del pedido {order}, ¿cómo lo hago?",
               "¿puedo devolver todavía el pedido {order}? me llegó el {date}"),
        "de": ("Ich möchte den {product} aus Bestellung {order} zurückgeben. Wie geht das?",
               "Kann ich {order} noch zurückschicken? Kam am {date} an.")},
    "warranty_claim": {
        "en": ("my {product} stopped charging after 8 months, is that covered?",
               "The {product} from order {order} makes a grinding noise now. Warranty?",
               "{product} screen went black, bought it last spring. what are my options"),
        "es": ("Mi {product} dejó de cargar a los 8 meses, ¿lo cubre la garantía?",
               "El {product} del pedido {order} hace un ruido raro, ¿entra en garantía?"),
        "de": ("Mein {product} lädt nach 8 Monaten nicht mehr. Ist das Garantie?",
               "Der {product} aus {order} macht seit gestern ein Schleifgeräusch. "
               "Garantiefall?")},
    "cancel_membership": {
        "en": ("how do I cancel Tidewell Plus? I was just charged {amount}",
               "Please cancel my Plus membership, I don't use it anymore.",
               "cancel tidewell plus and refund the {amount} from {date} please"),
        "es": ("¿Cómo cancelo Tidewell Plus? Me acaban de cobrar {amount}.",
               "Quiero darme de baja de Tidewell Plus, ya no lo uso."),
        "de": ("Wie kündige ich Tidewell Plus? Mir wurden gerade {amount} abgebucht.",
               "Bitte Tidewell Plus kündigen, ich nutze es nicht mehr.")},
    "account_access": {
        "en": ("I can't log in, the password reset email never comes. {email}",
               "new phone, 2FA code goes to my old number. how do I get into my account?",
               "locked out of my account after too many attempts"),
        "es": ("No puedo entrar, el correo para restablecer la contraseña no llega. "
               "{email}",
               "cambié de móvil y el código de verificación va al número viejo"),
        "de": ("Ich komme nicht in mein Konto, die Passwort-E-Mail kommt nicht an. {email}",
               "Neues Handy, der Bestätigungscode geht an die alte Nummer. Was tun?")},
    "payment_issue": {
        "en": ("I was charged twice for order {order}, {amount} each. Please fix.",
               "why are there two charges of {amount} on my card from {date}?",
               "double charge on {order}!! I only ordered once"),
        "es": ("Me han cobrado dos veces el pedido {order}, {amount} cada vez.",
               "¿por qué tengo dos cargos de {amount} del {date}?"),
        "de": ("Mir wurde {order} doppelt abgebucht, zweimal {amount}.",
               "Warum sehe ich zwei Abbuchungen über {amount} vom {date}?")},
}
FOLLOW_UPS = {
    "en": ("ok but how long will that take?", "that doesn't really answer my question",
           "so what do I do now?", "can you just do it for me?", "and if that doesn't work?",
           "thanks. one more thing about the same order"),
    "es": ("vale, ¿y cuánto tarda?", "eso no responde a mi pregunta", "¿y ahora qué hago?",
           "¿puedes hacerlo tú?"),
    "de": ("ok, und wie lange dauert das?", "das beantwortet meine Frage nicht",
           "und was mache ich jetzt?", "können Sie das bitte direkt erledigen?"),
}
HUMAN_REQUEST = {"en": " Can I talk to a real person?", "es": " ¿Puedo hablar con una persona?",
                 "de": " Kann ich mit einem Menschen sprechen?"}

# ---------------------------------------------------------------------------------------
# Tools: name -> (intents it serves, read/write, description). The catalog is a data file.
# ---------------------------------------------------------------------------------------

TOOLS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "get_order_status": (("order_status", "change_address", "return_request"), "read",
                         "Shipping status, carrier, shipment id and delivery date of one "
                         "order."),
    "update_shipping_address": (("change_address",), "write",
                                "Change the delivery address of a shipment that has not "
                                "shipped (shipment id from get_order_status)."),
    "get_refund_status": (("refund_status",), "read",
                          "State, amount and date of the refund for a returned order."),
    "check_return_eligibility": (("return_request",), "read",
                                 "Whether an order's items can still be returned, and until "
                                 "when; lists the returnable line ids."),
    "create_return": (("return_request",), "write",
                      "Open a return (RMA) for line ids of an order and email a label."),
    "check_warranty": (("warranty_claim",), "read",
                       "Warranty status of a product by serial number; returns its "
                       "warranty id."),
    "create_warranty_claim": (("warranty_claim",), "write",
                              "Open a warranty claim for a warranty id."),
    "get_membership": (("cancel_membership",), "read",
                       "Plan, membership id, renewal date and last charge of a Tidewell Plus "
                       "membership."),
    "cancel_membership": (("cancel_membership",), "write",
                          "Cancel a Tidewell Plus membership (membership id) at the end of "
                          "the period."),
    "send_password_reset": (("account_access",), "write",
                            "Email a password reset link to the account's address."),
    "get_payment_history": (("payment_issue",), "read",
                            "Charges and authorizations on an order's payment method."),
    "handoff_to_human": (("order_status", "change_address", "refund_status", "return_request",
                          "warranty_claim", "cancel_membership", "account_access",
                          "payment_issue"), "write",
                         "Hand the conversation to a human agent, with a reason and a "
                         "summary."),
}
# The tools a correct trace calls, per intent (the second is called about half the time).
TOOL_PLAN: dict[str, tuple[str, ...]] = {
    "order_status": ("get_order_status",),
    "change_address": ("get_order_status", "update_shipping_address"),
    "refund_status": ("get_refund_status",),
    "return_request": ("check_return_eligibility", "create_return"),
    "warranty_claim": ("check_warranty", "create_warranty_claim"),
    "cancel_membership": ("get_membership", "cancel_membership"),
    "account_access": ("send_password_reset",),
    "payment_issue": ("get_payment_history",),
}
# The planted wrong tool: (intent, the tool it should call, the tool it calls instead).
WRONG_TOOL_PAIRS = (
    ("refund_status", "get_refund_status", "get_order_status"),
    ("warranty_claim", "create_warranty_claim", "create_return"),
    ("payment_issue", "get_payment_history", "get_refund_status"),
)
# Why the agent hands a conversation to a human on its own (not a customer escalation).
AGENT_HANDOFF_REASONS = {
    "warranty_claim": "claim_needs_inspection", "account_access": "identity_verification",
    "payment_issue": "possible_fraud", "refund_status": "refund_overdue",
}
# What the agent writes about a successful tool call, by the call's outcome.
TOOL_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "order:delivered": {
        "en": ("I checked {order}: {carrier} shows it as delivered on {date}.",
               "According to {carrier}, {order} was delivered on {date}."),
        "es": ("He revisado {order}: {carrier} lo marca como entregado el {date}.",),
        "de": ("Ich habe {order} geprüft: Laut {carrier} wurde sie am {date} zugestellt.",)},
    "order:in_transit": {
        "en": ("{order} is on its way with {carrier}; the current estimate is {eta}.",
               "I can see {order} in transit with {carrier}, expected by {eta}."),
        "es": ("{order} está en camino con {carrier}; la previsión es el {eta}.",),
        "de": ("{order} ist mit {carrier} unterwegs, voraussichtlich bis {eta}.",)},
    "order:processing": {
        "en": ("{order} hasn't shipped yet, so the address can still be changed.",),
        "es": ("{order} aún no ha salido, así que se puede cambiar la dirección.",),
        "de": ("{order} ist noch nicht versendet, die Adresse lässt sich also ändern.",)},
    "refund:none": {
        "en": ("I don't see any refund on {order}.",),
        "es": ("No veo ningún reembolso en {order}.",),
        "de": ("Zu {order} sehe ich keine Erstattung.",)},
    "order:label_created": {
        "en": ("{order} has a shipping label but {carrier} hasn't scanned it yet.",),
        "es": ("{order} tiene etiqueta, pero {carrier} aún no lo ha escaneado.",),
        "de": ("Für {order} gibt es ein Etikett, aber {carrier} hat es noch nicht "
               "gescannt.",)},
    "update_shipping_address": {
        "en": ("Done: the delivery address for {order} is updated.",
               "I've changed the delivery address on {order}."),
        "es": ("Listo: he cambiado la dirección de entrega de {order}.",),
        "de": ("Erledigt: Die Lieferadresse für {order} ist geändert.",)},
    "refund:issued": {
        "en": ("Your refund of {amount} for {order} went out on {date}.",
               "I can see the {amount} refund for {order}; it was issued on {date}."),
        "es": ("El reembolso de {amount} de {order} se emitió el {date}.",),
        "de": ("Die Erstattung über {amount} für {order} wurde am {date} ausgelöst.",)},
    "refund:pending": {
        "en": ("The return for {order} has arrived and the {amount} refund is being "
               "processed.",),
        "es": ("La devolución de {order} ya llegó y el reembolso de {amount} está en "
               "proceso.",),
        "de": ("Die Rücksendung zu {order} ist da, die Erstattung über {amount} läuft.",)},
    "refund:not_received": {
        "en": ("We haven't received the return for {order} at the warehouse yet.",),
        "es": ("Aún no hemos recibido en el almacén la devolución de {order}.",),
        "de": ("Die Rücksendung zu {order} ist noch nicht in unserem Lager "
               "eingegangen.",)},
    "eligible:yes": {
        "en": ("Good news: {order} can still be returned until {window}.",),
        "es": ("Buenas noticias: {order} se puede devolver hasta el {window}.",),
        "de": ("Gute Nachricht: {order} kann noch bis {window} zurückgegeben werden.",)},
    "eligible:no": {
        "en": ("Unfortunately the return window for {order} closed on {date}.",),
        "es": ("Lo siento, el plazo de devolución de {order} terminó el {date}.",),
        "de": ("Leider ist die Rückgabefrist für {order} am {date} abgelaufen.",)},
    "create_return": {
        "en": ("I've opened return {rma} and emailed you the label.",),
        "es": ("He abierto la devolución {rma} y te he enviado la etiqueta.",),
        "de": ("Ich habe die Rücksendung {rma} angelegt und Ihnen das Etikett geschickt.",)},
    "warranty:yes": {
        "en": ("Your {product} is still under warranty until {later}.",),
        "es": ("Tu {product} sigue en garantía hasta el {later}.",),
        "de": ("Ihr {product} hat noch Garantie bis {later}.",)},
    "warranty:no": {
        "en": ("I'm afraid the warranty on your {product} ended on {date}.",),
        "es": ("Me temo que la garantía de tu {product} terminó el {date}.",),
        "de": ("Leider ist die Garantie Ihres {product} am {date} abgelaufen.",)},
    "create_warranty_claim": {
        "en": ("I've filed claim {claim}; a prepaid shipping label is on its way by email.",),
        "es": ("He abierto la reclamación {claim}; te llegará una etiqueta por correo.",),
        "de": ("Ich habe den Garantiefall {claim} angelegt; das Etikett kommt per E-Mail.",)},
    "get_membership": {
        "en": ("Your Plus membership renews on {later}; the last charge was {amount}.",),
        "es": ("Tu membresía Plus se renueva el {later}; el último cargo fue de {amount}.",),
        "de": ("Ihre Plus-Mitgliedschaft verlängert sich am {later}; zuletzt wurden "
               "{amount} abgebucht.",)},
    "cancel_membership": {
        "en": ("Your membership is cancelled and your benefits run until {later}.",),
        "es": ("Tu membresía está cancelada; las ventajas siguen hasta el {later}.",),
        "de": ("Ihre Mitgliedschaft ist gekündigt, die Vorteile laufen bis {later}.",)},
    "send_password_reset": {
        "en": ("I've just sent a new reset link to {email_masked}.",),
        "es": ("Acabo de enviar un enlace nuevo a {email_masked}.",),
        "de": ("Ich habe gerade einen neuen Link an {email_masked} geschickt.",)},
    "get_payment_history": {
        "en": ("On {order} I see one charge of {amount} and one pending authorization.",),
        "es": ("En {order} veo un cargo de {amount} y una autorización pendiente.",),
        "de": ("Bei {order} sehe ich eine Abbuchung über {amount} und eine vorgemerkte "
               "Autorisierung.",)},
    "handoff_to_human": {
        "en": ("I've passed this to a colleague (ticket {ticket}); they'll reply here.",),
        "es": ("Le he pasado tu caso a un compañero (ticket {ticket}); te responderá aquí.",),
        "de": ("Ich habe Ihr Anliegen an einen Kollegen übergeben (Ticket {ticket}).",)},
}
OPENERS: dict[str, dict[str, tuple[str, ...]]] = {
    "order_status": {"en": ("Sorry your order is taking a while.", "Let me check on that "
                            "order for you.", "Thanks for your patience with this one."),
                     "es": ("Siento que el pedido tarde.", "Déjame revisar tu pedido."),
                     "de": ("Tut mir leid, dass es dauert.", "Ich schaue mir Ihre Bestellung "
                            "gleich an.")},
    "change_address": {"en": ("No problem, let's sort out the address.", "Happy to help "
                              "with the address."),
                       "es": ("Sin problema, vamos con la dirección.",),
                       "de": ("Kein Problem, kümmern wir uns um die Adresse.",)},
    "refund_status": {"en": ("Sorry you're still waiting on that refund.", "Let me look into "
                             "the refund for you."),
                      "es": ("Siento que sigas esperando el reembolso.",),
                      "de": ("Tut mir leid, dass Sie noch auf die Erstattung warten.",)},
    "return_request": {"en": ("Sure, I can help with the return.", "Sorry it didn't work "
                              "out, let's get it back to us."),
                       "es": ("Claro, te ayudo con la devolución.",),
                       "de": ("Gern helfe ich bei der Rücksendung.",)},
    "warranty_claim": {"en": ("Sorry to hear it's acting up.", "That shouldn't happen, let's "
                              "look at the warranty."),
                       "es": ("Siento que te esté dando problemas.",),
                       "de": ("Ärgerlich, dass das Gerät Probleme macht.",)},
    "cancel_membership": {"en": ("Sorry to see you go.", "I can help with that."),
                          "es": ("Siento que te vayas.", "Te ayudo con eso."),
                          "de": ("Schade, dass Sie gehen möchten.",)},
    "account_access": {"en": ("Let's get you back into your account.", "Sorry about the "
                              "sign-in trouble."),
                       "es": ("Vamos a recuperar el acceso a tu cuenta.",),
                       "de": ("Bringen wir Sie wieder in Ihr Konto.",)},
    "payment_issue": {"en": ("I understand, two charges look alarming.", "Let me explain "
                             "what you're seeing."),
                      "es": ("Entiendo, dos cargos preocupan.",),
                      "de": ("Verstehe, zwei Abbuchungen sehen beunruhigend aus.",)},
}
CLOSERS = {"en": ("Anything else I can help with?", "Let me know if that helps.", "", ""),
           "es": ("¿Te ayudo con algo más?", "", "Avísame si necesitas algo más."),
           "de": ("Kann ich sonst noch helfen?", "", "Melden Sie sich gern wieder.")}
TOOL_APOLOGY = {"en": ("I'm sorry, I couldn't reach our systems just now. Please try again "
                       "in a little while.",
                       "Our systems aren't responding at the moment, sorry about that."),
                "es": ("Lo siento, ahora mismo no puedo acceder a nuestros sistemas. Inténtalo "
                       "más tarde.",),
                "de": ("Leider erreiche ich unsere Systeme gerade nicht. Bitte versuchen Sie "
                       "es später erneut.",)}
# Instruction violations: the system prompt's rules, as the automated checker names them.
VIOLATION_TEXT = {
    "no_refund_promises": {"en": "I'll make sure you get a full refund today.",
                           "es": "Me aseguro de que hoy recibas el reembolso completo.",
                           "de": "Ich sorge dafür, dass Sie heute die volle Erstattung "
                                 "bekommen."},
    "no_internal_links": {"en": "Details: https://wiki.tidewell.internal/support/{slug}",
                          "es": "Detalles: https://wiki.tidewell.internal/support/{slug}",
                          "de": "Details: https://wiki.tidewell.internal/support/{slug}"},
    "no_personal_data": {"en": "The card on file ends in {card}.",
                         "es": "La tarjeta registrada termina en {card}.",
                         "de": "Die hinterlegte Karte endet auf {card}."},
}
RUBRIC_PASS_COMMENTS = (
    "Polite, concise and grounded in the cited sources.",
    "Resolves the request with clear next steps; cites sources.",
    "Accurate and well structured; tone matches guidelines.",
    "Good answer. Cites the help center and tool results.",
    "Clear and friendly; all key statements are attributed.",
)
RUBRIC_FAIL_COMMENTS = (
    "Does not resolve the request; no concrete next step.",
    "Apologises but gives no information; should offer a handoff.",
    "Answer language or tone does not follow the guidelines.",
    "Partly off-topic; key statements are weakly supported.",
    "Too vague; the customer would need to ask again.",
)
PRODUCTS = ("Lumo X2 earbuds", "Nimbus 3 air purifier", "Drift 2 robot vacuum", "Halo desk lamp",
            "Sora smartwatch", "Pico mini projector", "Fathom 1.5L kettle", "Orbit smart plug")
CARRIERS = {"en": ("UPS", "FedEx", "USPS"), "es": ("SEUR", "Correos", "MRW"),
            "de": ("DHL", "Hermes", "DPD")}
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")
MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember")
EMAIL_USERS = ("sarah.k", "mike_r", "jpatel", "mariagg", "j.weber", "lucia.r", "t.nguyen",
               "k.schmidt", "dave.k", "ana.belen", "oliver.p", "c.moreau", "hannah.b",
               "pablo.ortiz", "greta.h", "sam.lee")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "gmx.de", "web.de",
                 "hotmail.es")


def _doc_id(number: int, lang: str) -> str:
    return f"kb-{number}-{lang}"


DOCS = [(_doc_id(a.number, lang), a, lang) for a in ARTICLES for lang in a.languages]
DOC_BY_ID = {doc_id: (a, lang) for doc_id, a, lang in DOCS}
ARTICLE_BY_NUMBER = {a.number: a for a in ARTICLES}


@functools.cache
def gold_docs(intent: str, lang: str) -> tuple[str, str | None]:
    """The primary and (if any) the second gold article for an intent, in the language."""
    primary = next(a for a in ARTICLES if a.intent == intent and a.primary)
    second = next((a for a in ARTICLES if a.intent == intent and not a.primary), None)
    return _doc_id(primary.number, lang), (
        _doc_id(second.number, lang) if second is not None else None)


def doc_numbers(doc_id: str) -> frozenset[float]:
    """Every number the article states (the values of its facts)."""
    return DOC_NUMBERS[doc_id]


DOC_NUMBERS = {doc_id: frozenset(v for f in a.facts for v in f.numbers(lang).values())
               for doc_id, a, lang in DOCS}


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


def _round(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _trace_id(rng: np.random.Generator) -> str:
    return f"tr_{int(rng.integers(0, 2**63)):016x}"


def sample_parameters(rng: np.random.Generator) -> dict[str, Any]:
    """The variant's public and hidden parameters. See the module docstring."""
    k = int(rng.choice(K_CHOICES))
    score_bar = float(rng.choice(SCORE_BAR_CHOICES))
    dominant = str(rng.choice(STAGES))
    hidden_stage = str(rng.choice([s for s in ("tool", "retrieval", "grounding")
                                   if s != dominant]))
    pair = int(rng.integers(len(WRONG_TOOL_PAIRS)))
    intents = list(QUERIES)
    base = np.array([20.0, 6, 16, 14, 8, 7, 9, 10])
    intent_share = rng.dirichlet(base * 4)
    w2_ids = []
    while len(w2_ids) < 3:
        tid = _trace_id(rng)
        if tid not in w2_ids:
            w2_ids.append(tid)
    roles = [str(r) for r in rng.permutation(["context", "model", "tool"])]
    start = dt.date(2026, 11, 2) + dt.timedelta(days=7 * int(rng.integers(0, 3)))
    hidden: dict[str, Any] = {
        "n_sessions": int(rng.integers(540, 720)),
        "week_start": start.isoformat(),
        "language_share": {"en": _round(rng.uniform(0.52, 0.64))},
        "es_of_rest": _round(rng.uniform(0.45, 0.65)),
        "intent_share": {i: _round(s) for i, s in zip(intents, intent_share, strict=True)},
        "dominant_stage": dominant,
        "rubric_blind_stage": hidden_stage,
        "wrong_tool_pair": list(WRONG_TOOL_PAIRS[pair]),
        # Share of all traces that call the wrong tool (all of them on one intent).
        "wrong_tool_share": _round(rng.uniform(0.06, 0.075) if hidden_stage == "tool"
                                   else rng.uniform(0.025, 0.035)),
        # The cause behind the dominant stage starts at the release (mid-week) and breaks
        # about dominant_share of all traces.
        "release_hour": int(rng.integers(50, 90)),
        "dominant_share": _round(rng.uniform(0.11, 0.14)),
        "incident_hours": int(rng.integers(34, 56)),
        "misstated_intents": [str(x) for x in rng.choice(
            ["refund_status", "return_request", "warranty_claim", "cancel_membership",
             "payment_issue", "order_status"], size=2, replace=False)],
        # Background rates of each stage, and the boost of the rubric-blind stage.
        "base_rate": {"tool": _round(rng.uniform(0.008, 0.015)),
                      "retrieval": _round(rng.uniform(0.025, 0.04)),
                      "grounding": _round(rng.uniform(0.02, 0.035)),
                      "instruction": _round(rng.uniform(0.015, 0.025))},
        "blind_boost": _round(rng.uniform(0.045, 0.06)),
        "late_gold_share": _round(rng.uniform(0.6, 0.75)),
        "two_gold_rate": _round(rng.uniform(0.5, 0.7)),
        "partial_second_gold": _round(rng.uniform(0.3, 0.45)),
        "words_rate": _round(rng.uniform(0.2, 0.35)),
        "rubric_pass": {"ok": _round(rng.uniform(0.975, 0.995)),
                        "blind": _round(rng.uniform(0.88, 0.95)),
                        "dominant": _round(rng.uniform(0.15, 0.3)),
                        "other": _round(rng.uniform(0.4, 0.6)),
                        "tool_error": _round(rng.uniform(0.05, 0.15))},
        "unhappy": {"ok": _round(rng.uniform(0.06, 0.09)),
                    "tool": _round(rng.uniform(0.7, 0.85)),
                    "retrieval": _round(rng.uniform(0.75, 0.88)),
                    "grounding": _round(rng.uniform(0.62, 0.75)),
                    "instruction": _round(rng.uniform(0.45, 0.6))},
        "escalated_share": _round(rng.uniform(0.35, 0.5)),
        "agent_handoff_rate": _round(rng.uniform(0.1, 0.16)),
        "w2_roles": dict(zip(w2_ids, roles, strict=True)),
    }
    hidden["language_share"]["es"] = _round((1 - hidden["language_share"]["en"])
                                            * hidden["es_of_rest"])
    hidden["language_share"]["de"] = _round(1 - hidden["language_share"]["en"]
                                            - hidden["language_share"]["es"])
    public = {"k": k, "score_bar": score_bar,
              "trace_a": w2_ids[0], "trace_b": w2_ids[1], "trace_c": w2_ids[2]}
    return {"public": public, "hidden": hidden}


# ---------------------------------------------------------------------------------------
# The plan: which stage fails first in each trace, what else fails, rubric and reaction
# ---------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """One trace (one customer message) before it is written."""

    lang: str
    intent: str
    hour: float  # hours since the start of the week (UTC)
    version: str
    tools: list[str]
    session: int
    turn: int
    last_turn: bool
    fails: dict[str, bool] = field(default_factory=dict)
    tool_kind: str = ""  # error | wrong (when fails["tool"])
    violations: list[str] = field(default_factory=list)
    handoff: str = ""  # the reason of an agent-initiated hand-off, if any
    rubric_pass: bool = True
    reaction: str = "none"
    role: str = ""  # the W2 role, if any

    @property
    def first(self) -> str:
        f = self.fails
        return ("tool" if f.get("tool") else "retrieval" if f.get("retrieval")
                else "grounding" if f.get("grounding") else "instruction"
                if f.get("instruction") else "ok")

    @property
    def last(self) -> str:
        return next((s for s in reversed(STAGES) if self.fails.get(s)), "ok")


def _blocks(draw: Callable[[int], np.ndarray], size: int) -> Iterator[float]:
    while True:
        yield from draw(size).tolist()


class _Draws:
    """The variant's rng, drawn in blocks: the per-trace code takes about a hundred scalar
    draws per trace, and one numpy call per draw costs more than everything else it does.
    ``generator`` is the rng itself, for the draws made as arrays."""

    def __init__(self, rng: np.random.Generator, size: int = 2048) -> None:
        self.generator = rng
        self.random: Callable[[], float] = functools.partial(next, _blocks(rng.random, size))
        self._normal = functools.partial(next, _blocks(rng.standard_normal, size // 4))
        self._exponential = functools.partial(
            next, _blocks(rng.standard_exponential, size // 8))

    def exponential(self, scale: float = 1.0) -> float:
        return scale * self._exponential()

    def lognormal(self, mean: float, sigma: float) -> float:
        return math.exp(mean + sigma * self._normal())

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()


def _pick(rng: _Draws, items: Any) -> Any:
    """One item, uniformly."""
    return items[int(rng.random() * len(items))]


def _int(rng: _Draws, low: int, high: int) -> int:
    """A whole number in [low, high), uniformly."""
    return low + int(rng.random() * (high - low))


def _weighted(rng: _Draws, weights: dict[str, float]) -> str:
    return _from_table(rng, _cumulative(tuple(weights.items())))


def _from_table(rng: _Draws, table: tuple[list[str], list[float]]) -> str:
    """A key drawn from ``_cumulative``'s table of its weights."""
    keys, cumulative = table
    return keys[min(bisect.bisect_right(cumulative, rng.random()), len(keys) - 1)]


@functools.cache
def _cumulative(items: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    total = np.cumsum([float(w) for _, w in items])
    return [str(key) for key, _ in items], (total / total[-1]).tolist()


def _hour_weights() -> np.ndarray:
    hour_w = np.exp(-0.5 * ((np.arange(24) - 15.5) / 4.2) ** 2) + 0.08
    day_w = np.array([1.0, 1.0, 0.95, 0.95, 0.9, 0.6, 0.55])
    w = (day_w[:, None] * hour_w[None, :]).ravel()
    return np.asarray(w / w.sum())


HOUR_WEIGHTS = _hour_weights()


def _hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Session start times over one week: busy afternoons (UTC), quieter weekends."""
    slot = rng.choice(len(HOUR_WEIGHTS), size=n, p=HOUR_WEIGHTS)
    return np.sort(slot + rng.random(n) * 0.9)


def _sessions(rng: _Draws, hidden: dict[str, Any]) -> list[tuple[float, int, int,
                                                                               bool]]:
    """(hour, session, turn, last turn?) per trace, in time order: most sessions have one
    message, some two to four, a few minutes apart."""
    out = []
    for session, start in enumerate(_hours(rng.generator, int(hidden["n_sessions"])).tolist()):
        u = rng.random()
        turns = 1 if u < 0.68 else 2 if u < 0.88 else 3 if u < 0.96 else 4
        hour = start
        for turn in range(1, turns + 1):
            out.append((hour, session, turn, turn == turns))
            hour += (1.5 + rng.exponential(3.0)) / 60
    out.sort()
    return out


def _plans(rng: _Draws, hidden: dict[str, Any]) -> list[_Plan]:
    dominant, blind = hidden["dominant_stage"], hidden["rubric_blind_stage"]
    base = hidden["base_rate"]
    intent_w = dict(hidden["intent_share"])
    lang_w = dict(hidden["language_share"])
    wrong_intent = hidden["wrong_tool_pair"][0]
    p_wrong = min(0.9, hidden["wrong_tool_share"] / intent_w[wrong_intent])
    release = float(hidden["release_hour"])
    sessions = _sessions(rng, hidden)
    hours = np.array([s[0] for s in sessions])
    # How often the dominant cause strikes where it can (after the release), to break
    # dominant_share of all traces.
    exposed = {
        "tool": 0.88 * float(((hours >= release)
                              & (hours < release + hidden["incident_hours"])).mean()),
        "retrieval": (1 - float(lang_w["en"])) * float((hours >= release).mean()),
        "grounding": sum(float(intent_w[i]) for i in hidden["misstated_intents"])
        * float((hours >= release).mean()),
        "instruction": (1 - float(lang_w["en"])) * float((hours >= release).mean()),
    }[dominant]
    strike = min(0.85, float(hidden["dominant_share"]) / max(exposed, 1e-9))
    plans: list[_Plan] = []
    session_of: dict[int, tuple[str, str]] = {}
    lang_table = _cumulative(tuple(lang_w.items()))
    intent_table = _cumulative(tuple(intent_w.items()))
    for hour, session, turn, last_turn in sessions:
        if session not in session_of:
            session_of[session] = (_from_table(rng, lang_table),
                                   _from_table(rng, intent_table))
        lang, intent = session_of[session]
        after = hour >= release
        version = AGENT_VERSIONS[int(after)]
        plan_tools = TOOL_PLAN[intent]
        tools = [] if rng.random() < 0.12 else list(plan_tools[:1])
        if tools and len(plan_tools) > 1 and rng.random() < 0.5:
            tools.append(plan_tools[1])
        if intent == wrong_intent and not tools:
            tools = list(plan_tools[:1])
        p = _Plan(lang, intent, hour, version, tools, session, turn, last_turn)
        cause = after and (dominant != "tool" or hour < release + hidden["incident_hours"])

        # tool: an error, or the planted wrong tool
        p_err = base["tool"] + (strike if dominant == "tool" and cause else 0)
        wrong = intent == wrong_intent and rng.random() < p_wrong
        if wrong:
            p.fails["tool"], p.tool_kind = True, "wrong"
        elif tools and rng.random() < p_err:
            p.fails["tool"], p.tool_kind = True, "error"
        # retrieval: no gold article in the top k
        p_retr = base["retrieval"] + (hidden["blind_boost"] if blind == "retrieval" else 0)
        if dominant == "retrieval" and cause and lang != "en":
            p_retr += strike
        p.fails["retrieval"] = bool(rng.random() < p_retr)
        # grounding: the answer misstates a number of an article it cites
        p_gr = base["grounding"] + (hidden["blind_boost"] if blind == "grounding" else 0)
        if dominant == "grounding" and cause and intent in hidden["misstated_intents"]:
            p_gr += strike
        if p.fails["retrieval"]:
            p_gr = max(p_gr, 0.35)
        if p.tool_kind == "wrong":
            p_gr = max(p_gr, 0.3)
        # an answer after a tool error apologises and states nothing it could misstate
        p.fails["grounding"] = bool(rng.random() < p_gr) and p.tool_kind != "error"
        # instruction
        p_in = base["instruction"]
        if p.fails["grounding"]:
            p_in = max(p_in, 0.4 if blind == "grounding" else 0.25)
        if p.fails["retrieval"] or p.tool_kind == "wrong":
            p_in = max(p_in, 0.12)
        english_reply = (dominant == "instruction" and cause and lang != "en"
                         and rng.random() < strike)
        if english_reply:
            p.violations.append("reply_in_user_language")
        elif rng.random() < p_in:
            p.violations.append(_violation(rng, p))
        p.fails["instruction"] = bool(p.violations)
        # an agent-initiated hand-off: after a tool error, or by policy for some intents
        if p.tool_kind == "error" and rng.random() < 0.4:
            p.handoff = "tool_unavailable"
        elif intent in AGENT_HANDOFF_REASONS and rng.random() < hidden["agent_handoff_rate"]:
            p.handoff = AGENT_HANDOFF_REASONS[intent]
        _score_and_react(rng, hidden, p)
        plans.append(p)
    return plans


def _violation(rng: _Draws, p: _Plan) -> str:
    options = ["no_refund_promises", "no_internal_links", "no_personal_data",
               "offer_human_handoff"]
    if p.lang != "en":
        options.append("reply_in_user_language")
    if p.intent in ("refund_status", "return_request", "payment_issue", "cancel_membership"):
        options += ["no_refund_promises"] * 2
    return str(_pick(rng, options))


def _stage_key(hidden: dict[str, Any], p: _Plan) -> str:
    """Which rubric pass rate applies: the rubric is blind to one stage, sharp on another."""
    first, blind = p.first, hidden["rubric_blind_stage"]
    if first == "ok":
        return "ok"
    if first == "tool":
        if p.tool_kind == "error":
            return "tool_error"  # an apology without an answer fails the rubric
        return "blind" if blind == "tool" else "other"
    if first == blind:
        return "blind"
    if first == hidden["dominant_stage"]:
        return "dominant"
    return "other"


def _score_and_react(rng: _Draws, hidden: dict[str, Any], p: _Plan) -> None:
    p.rubric_pass = bool(rng.random() < hidden["rubric_pass"][_stage_key(hidden, p)])
    unhappy = rng.random() < hidden["unhappy"][p.first]
    if unhappy:
        # Asking for a human ends the conversation with the agent: only on a last turn.
        escalate = p.last_turn and rng.random() < hidden["escalated_share"] / 0.8
        p.reaction = "escalated" if escalate else "down"
    else:
        p.reaction = "up" if rng.random() < 0.27 else "none"


def _place_w2(rng: _Draws, hidden: dict[str, Any], plans: list[_Plan],
              ids: list[str]) -> None:
    """Three clean examples, one per diagnosis, each passed by the rubric and unhappy."""
    wrong_intent = hidden["wrong_tool_pair"][0]
    taken: set[int] = set()
    for tid, role in hidden["w2_roles"].items():
        if role == "tool":
            pool = [i for i, p in enumerate(plans) if p.intent == wrong_intent]
        elif role == "model":
            pool = [i for i, p in enumerate(plans) if p.intent != wrong_intent]
        else:  # context: an English question whose archived policy outranks the current one
            pool = [i for i, p in enumerate(plans) if p.lang == "en"
                    and p.intent in STALE_ARTICLE]
        pool = [i for i in pool if i not in taken and plans[i].last_turn
                and 0.1 * len(plans) < i < 0.9 * len(plans)]
        i = int(_pick(rng, pool))
        taken.add(i)
        p = plans[i]
        p.role = role
        if role == "context":
            p.tools = []  # answered from the articles alone
        elif not p.tools:
            p.tools = list(TOOL_PLAN[p.intent][:1])
        p.fails = {"tool": role == "tool", "retrieval": role == "context",
                   "grounding": role == "model", "instruction": False}
        p.tool_kind = "wrong" if role == "tool" else ""
        p.violations = []
        p.handoff = ""
        if role == "model" and p.lang != "en" and rng.random() < 0.5:
            p.lang = "en"
        p.rubric_pass = True
        p.reaction = "escalated" if role != "model" else "down"
        ids[i] = tid


def _dominant(counts: dict[str, int]) -> tuple[str, int]:
    """The stage with the most traces (ties: earlier stage), and its margin."""
    ranked = sorted(STAGES, key=lambda s: (-counts.get(s, 0), STAGES.index(s)))
    return ranked[0], counts.get(ranked[0], 0) - counts.get(ranked[1], 0)


def _plant_visible(hidden: dict[str, Any], plans: list[_Plan]) -> bool:
    """The planted structure shows in the data, with margins the wrong approaches need."""
    firsts: dict[str, int] = {}
    passed: dict[str, int] = {}
    escalated = 0
    for p in plans:
        firsts[p.first] = firsts.get(p.first, 0) + 1
        if p.rubric_pass:
            passed[p.first] = passed.get(p.first, 0) + 1
            escalated += p.reaction == "escalated"
    dom, margin = _dominant(firsts)
    blind = hidden["rubric_blind_stage"]
    rate = {s: passed.get(s, 0) / firsts[s] for s in STAGES if firsts.get(s, 0) >= 5}
    runner_up = max((r for s, r in rate.items() if s != blind), default=0.0)
    most_passed, _ = _dominant(passed)
    wrong = sum(p.tool_kind == "wrong" for p in plans)
    n_pass = sum(p.rubric_pass for p in plans)
    happy_pass = sum(p.rubric_pass and p.reaction in ("up", "none") for p in plans)
    precision = happy_pass / n_pass
    # Escalations rise: a larger share of the traces after the release end in one.
    release = float(hidden["release_hour"])
    early = [p.reaction == "escalated" for p in plans if p.hour < release]
    late = [p.reaction == "escalated" for p in plans if p.hour >= release]
    before, after = sum(early) / len(early), sum(late) / len(late)
    handoffs_passed_happy = sum(bool(p.handoff) and p.rubric_pass
                                and p.reaction in ("up", "none") for p in plans)
    return (dom == hidden["dominant_stage"] and margin >= 4
            and blind in rate and rate[blind] >= runner_up + 0.1 and most_passed == blind
            and escalated >= 4 and wrong >= 6 and firsts.get("grounding", 0) >= 12
            and after >= 1.3 * before and handoffs_passed_happy >= 6
            and 0.8 <= n_pass / len(plans) <= 0.95
            and abs(precision - n_pass / len(plans)) > 0.01)


# ---------------------------------------------------------------------------------------
# Writing a trace
# ---------------------------------------------------------------------------------------


@functools.cache
def _fmt_date(lang: str, day: dt.date) -> str:
    if lang == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]}"
    if lang == "de":
        return f"{day.day}. {MONTHS_DE[day.month - 1]}"
    return f"{day:%b} {day.day}"


@dataclass(frozen=True)
class _Slots:
    """The customer's own data in one session: order, amounts, dates, ids."""

    values: dict[str, str]
    raw: dict[str, Any]
    rendered: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)

    def render(self, lang: str) -> dict[str, str]:
        """The slot values as an answer in ``lang`` writes them (once per language)."""
        if lang not in self.rendered:
            self.rendered[lang] = self.values | {
                "date": _fmt_date(lang, dt.date.fromisoformat(self.raw["past"])),
                "later": _fmt_date(lang, dt.date.fromisoformat(self.raw["later"])),
                "eta": _fmt_date(lang, dt.date.fromisoformat(self.raw["eta"])),
                "window": _fmt_date(lang, dt.date.fromisoformat(self.raw["window_ends"])),
                "amount": fmt_price(lang, float(self.raw["amount"])),
            }
        return self.rendered[lang]


AMOUNTS = (19.99, 24.5, 39.0, 49.0, 64.9, 89.99, 129.0, 149.9, 219.0, 34.95, 12.49, 74.0,
           299.0, 58.8)
ORDER_STATES = ("delivered", "in_transit", "in_transit", "label_created")
REFUND_STATES = ("issued", "issued", "issued", "pending", "pending", "not_received")


@functools.cache
def _day(ordinal: int) -> tuple[dt.date, str]:
    day = dt.date.fromordinal(ordinal)
    return day, day.isoformat()


def _all_slots(rng: np.random.Generator, sessions: list[tuple[str, dt.datetime]]
               ) -> list[_Slots]:
    """The customer's own data of every session (its language, its first message's
    time), each field drawn as one array for all sessions."""
    n = len(sessions)

    def ints(low: int, high: int) -> list[int]:
        return [int(x) for x in rng.integers(low, high, size=n).tolist()]

    def picks(items: tuple[Any, ...]) -> list[Any]:
        return [items[i] for i in rng.integers(0, len(items), size=n).tolist()]

    orders, back, ahead, eta = ints(1000000, 9999999), ints(2, 16), ints(10, 300), ints(1, 6)
    amounts, users, domains = picks(AMOUNTS), picks(EMAIL_USERS), picks(EMAIL_DOMAINS)
    products, carrier_u = picks(PRODUCTS), rng.random(n).tolist()
    rmas, claims, tickets = ints(100000, 999999), ints(10000, 99999), ints(4000000, 4999999)
    cards, serials, customers = ints(1000, 10000), ints(10**9, 10**10 - 1), ints(10**7, 10**8 - 1)
    shipments, memberships, warranties = ints(0, 16**8), ints(0, 16**8), ints(0, 16**8)
    lines, addresses = ints(0, 16**6), ints(10000, 99999)
    order_states, refund_states = picks(ORDER_STATES), picks(REFUND_STATES)
    eligible, covered = (rng.random(n) < 0.85).tolist(), (rng.random(n) < 0.85).tolist()
    out = []
    for i, (lang, when) in enumerate(sessions):
        today = when.toordinal()
        past, past_iso = _day(today - back[i])
        later, later_iso = _day(today + ahead[i])
        order, amount = f"TW-{orders[i]}", float(amounts[i])
        email = f"{users[i]}@{domains[i]}"
        carriers = CARRIERS[lang]
        values = {
            "order": order,
            "date": _fmt_date(lang, past),
            "later": _fmt_date(lang, later),
            "amount": fmt_price(lang, amount),
            "product": products[i],
            "carrier": carriers[int(carrier_u[i] * len(carriers))],
            "email": email,
            "email_masked": email[0] + "***" + email[email.index("@") - 1:],
            "rma": f"RMA-{rmas[i]}",
            "claim": f"WC-{claims[i]}",
            "ticket": f"#{tickets[i]}",
            "card": f"{cards[i]}",
        }
        # The order's state is the same whichever message of the session asks about it.
        raw = {"order": order, "past": past_iso, "later": later_iso,
               "amount": amount, "email": email,
               "eta": _day(today + eta[i])[1],
               "window_ends": _day(past.toordinal() + 30)[1],
               "order_state": order_states[i], "refund_state": refund_states[i],
               "eligible": bool(eligible[i]), "covered": bool(covered[i]),
               "serial": f"SN{serials[i]}",
               "customer": f"cus_{customers[i]}",
               "shipment": f"shp_{shipments[i]:08x}",
               "membership": f"mem_{memberships[i]:08x}",
               "warranty": f"wty_{warranties[i]:08x}",
               "line": f"ln_{lines[i]:06x}",
               "address": f"addr_{addresses[i]}"}
        out.append(_Slots(values, raw))
    return out


def _tool_call(rng: _Draws, name: str, status: str, s: _Slots, p: _Plan,
               previous: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """One call and the key of the sentence the answer writes about it. Write tools take
    the id the read call before them returned."""
    r = s.raw
    read = previous[-1]["output"] if previous else {}
    args: dict[str, Any] = {"order_id": r["order"]}
    output: dict[str, Any]
    key = name
    if name == "get_order_status":
        state = ("processing" if p.intent == "change_address" and "update_shipping_address"
                 in p.tools else "delivered" if p.intent in ("refund_status", "return_request")
                 else r["order_state"])
        output = {"order_id": r["order"], "status": state, "carrier": s.values["carrier"],
                  "shipment_id": r["shipment"]}
        output |= ({"delivered_at": r["past"]} if state == "delivered"
                   else {"estimated_delivery": r["eta"]})
        key = f"order:{state}"
    elif name == "update_shipping_address":
        args = {"shipment_id": read.get("shipment_id", r["shipment"]),
                "address_id": r["address"]}
        output = {"updated": True}
    elif name == "get_refund_status":
        if p.intent != "refund_status":
            state = "none"
            output = {"order_id": r["order"], "refunds": []}
        else:
            state = r["refund_state"]
            output = {"order_id": r["order"], "state": state, "amount": r["amount"]}
            if state == "issued":
                output["issued_at"] = r["past"]
        key = f"refund:{state}"
    elif name == "check_return_eligibility":
        ok = "create_return" in p.tools or r["eligible"]
        output = {"order_id": r["order"], "eligible": ok,
                  "window_ends": r["window_ends"] if ok else r["past"],
                  "returnable_line_ids": [r["line"]] if ok else []}
        key = f"eligible:{'yes' if ok else 'no'}"
    elif name == "create_return":
        lines = read.get("returnable_line_ids") or [r["line"]]
        args = {"order_id": r["order"], "line_ids": lines, "reason": "customer_request"}
        output = {"rma": s.values["rma"], "label_sent": True}
    elif name == "check_warranty":
        args = {"serial": r["serial"]}
        ok = "create_warranty_claim" in p.tools or r["covered"]
        output = {"serial": r["serial"], "covered": ok,
                  "expires": r["later"] if ok else r["past"], "warranty_id": r["warranty"]}
        key = f"warranty:{'yes' if ok else 'no'}"
    elif name == "create_warranty_claim":
        args = {"warranty_id": read.get("warranty_id", r["warranty"]), "serial": r["serial"]}
        output = {"claim_id": s.values["claim"]}
    elif name == "get_membership":
        args = {"customer_id": r["customer"]}
        output = {"membership_id": r["membership"], "plan": "plus_annual",
                  "renews_on": r["later"], "last_charge": r["amount"]}
    elif name == "cancel_membership":
        args = {"membership_id": read.get("membership_id", r["membership"])}
        output = {"cancelled": True, "effective": r["later"]}
    elif name == "send_password_reset":
        args = {"email": r["email"]}
        output = {"sent": True}
    elif name == "get_payment_history":
        output = {"charges": [{"amount": r["amount"], "state": "captured"},
                              {"amount": r["amount"], "state": "authorization"}]}
    else:  # handoff_to_human
        args = {"reason": p.handoff or "customer_request",
                "summary": f"{p.intent.replace('_', ' ')}, order {r['order']}"}
        output = {"ticket": s.values["ticket"]}
    if status == "ok":
        latency = int(rng.lognormal(LOG_320, 0.45))
    elif status == "timeout":
        latency, output = 8000, {"error": "upstream timeout after 8000 ms"}
    else:
        latency = int(rng.lognormal(LOG_180, 0.6))
        output = {"error": _pick(rng, ("503 Service Unavailable", "502 Bad Gateway",
                                       "500 Internal Server Error"))}
    call = {"call_id": f"call_{_int(rng, 0, 16**8):08x}", "name": name, "arguments": args,
            "status": status, "latency_ms": latency, "output": output}
    return call, key


def _related(intent: str, lang: str, gold: list[str]) -> tuple[str, ...]:
    """The near-misses of a query: the gold articles in the other languages, the archived
    version of the policy, the intent's other article when it is not gold."""
    return _related_docs(intent, lang, len(gold) > 1)


@functools.cache
def _related_docs(intent: str, lang: str, second_is_gold: bool) -> tuple[str, ...]:
    primary, second = gold_docs(intent, lang)
    gold = [primary, second] if second_is_gold else [primary]
    out = [_doc_id(int(primary.split("-")[1]), x) for x in LANGS if x != lang]
    if intent in STALE_ARTICLE:
        out.insert(0 if lang == "en" else 1, _doc_id(STALE_ARTICLE[intent], "en"))
    if second and second not in gold:
        out.append(second)
    if second:
        out += [_doc_id(int(second.split("-")[1]), x) for x in LANGS if x != lang]
    return tuple(out)


@functools.cache
def _filler_pool(lang: str, section: str) -> tuple[list[str], np.ndarray]:
    """Other articles a query retrieves: the same section and the same language likelier."""
    pool = [d for d, _, x in DOCS if x == lang or x == "en"]
    weight = np.array([(3.0 if DOC_BY_ID[d][0].section == section else 1.0)
                       * (2.0 if DOC_BY_ID[d][1] == lang else 1.0) for d in pool])
    return pool, weight


# The section of an intent's articles (its filler pool); enough fillers for any trace:
# eight slots, and at most ten candidates already placed or gold.
INTENT_SECTION = {a.intent: a.section for a in ARTICLES if a.intent and a.primary}
N_FILLERS = 18


def _fillers(rng: np.random.Generator, plans: list[_Plan]) -> list[list[str]]:
    """Per trace, the first fillers of its pool in a weighted random order (exponential
    keys over the weights: sampling without replacement), drawn for all traces at once."""
    out: list[list[str]] = [[] for _ in plans]
    groups: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(plans):
        groups.setdefault((p.lang, INTENT_SECTION[p.intent]), []).append(i)
    for (lang, section), rows in sorted(groups.items()):
        pool, weight = _filler_pool(lang, section)
        keys = rng.standard_exponential((len(rows), len(pool))) / weight
        order = np.argsort(keys, axis=1, kind="stable")[:, :N_FILLERS]
        for i, ids in zip(rows, np.asarray(pool)[order].tolist(), strict=True):
            out[i] = ids
    return out


def _retrieved(rng: _Draws, p: _Plan, k: int, gold: list[str], fillers: list[str],
               hidden: dict[str, Any]) -> list[str]:
    """Eight ranked doc ids. Gold articles land in the top k unless retrieval fails; then
    near-misses (wrong locale, stale version) take their place."""
    near = _related(p.intent, p.lang, gold)
    order: list[str | None] = [None] * N_RETRIEVED
    if p.fails["retrieval"]:
        if p.role == "context":
            order[0] = _doc_id(STALE_ARTICLE[p.intent], "en")
            order[k] = gold[0]
        else:
            misses = [d for d in near if rng.random() < 0.7]
            if not any(not DOC_BY_ID[d][0].archived for d in misses[:k]):
                misses.insert(0, next(d for d in near if not DOC_BY_ID[d][0].archived))
            for j, d in enumerate(misses[:k]):
                order[j] = d
            if rng.random() < hidden["late_gold_share"]:
                order[_int(rng, max(k, len(misses[:k])), N_RETRIEVED)] = gold[0]
    else:
        ranked = [gold[0]]
        if len(gold) > 1 and rng.random() >= hidden["partial_second_gold"]:
            ranked.insert(int(rng.random() * 2), gold[1])
        # The best gold article usually ranks first, sometimes further down the top k.
        best = 0  # geometric(0.5) - 1, capped at k - 1
        while best < k - 1 and rng.random() >= 0.5:
            best += 1
        slots = [best]
        if len(ranked) > 1:
            slots.append(_pick(rng, [j for j in range(k) if j != slots[0]]))
        for d, j in zip(ranked, slots, strict=True):
            order[j] = d
        if len(ranked) < len(gold) and rng.random() < 0.6:
            order[_int(rng, k, N_RETRIEVED)] = gold[1]
        free = [j for j in range(N_RETRIEVED) if order[j] is None]
        if p.intent in STALE_ARTICLE and rng.random() < 0.2:
            # The archived version of the policy ranks next to the current one.
            order[free.pop(0)] = _doc_id(STALE_ARTICLE[p.intent], "en")
        for d in near:
            if free and rng.random() < 0.4:
                order[free.pop(int(rng.random() * len(free)))] = d
    used = {d for d in order if d is not None}
    rest = (d for d in fillers if d not in used and d not in gold)
    return [d if d is not None else next(rest) for d in order]


def _citations(rng: _Draws, p: _Plan, k: int, retrieved: list[str],
               gold: list[str]) -> list[str]:
    """The articles the answer cites: from the top k, gold first, else the near-misses
    the model saw. A misstating answer cites at least one current article with numbers."""
    top = retrieved[:k]
    near = set(_related(p.intent, p.lang, gold)) | set(gold)
    seen = [d for d in top if d in near]
    if p.fails["grounding"]:
        seen = [d for d in seen if not DOC_BY_ID[d][0].archived
                and any(f.alts for f in DOC_BY_ID[d][0].facts)]
    if not seen:
        return []
    preferred = [d for d in seen if d in gold] or seen
    stale = [d for d in seen if DOC_BY_ID[d][0].archived]
    if p.role == "context" or (stale and rng.random() < 0.5):
        # The model goes with the archived policy, alone: it never cites two versions.
        return stale[:1] if stale else [top[0]]
    n = 2 if len(preferred) > 1 and rng.random() < 0.45 else 1
    return preferred[:n]


def _fact_sentences(rng: _Draws, p: _Plan, cited: list[str], answer_lang: str,
                    hidden: dict[str, Any], avoid: set[float]) -> list[str]:
    """What the answer says about the cited articles, in its own words; one number
    misstated when the plan says grounding fails."""
    chosen: list[tuple[str, Fact]] = []
    for d in cited:
        facts = [f for f in DOC_BY_ID[d][0].facts if answer_lang in f.answer]
        numeric = [f for f in facts if f.values]
        first = _pick(rng, numeric if numeric and rng.random() < 0.8 else facts)
        chosen.append((d, first))
        if len(cited) == 1 and len(facts) > 1 and rng.random() < 0.5:
            chosen.append((d, _pick(rng, [f for f in facts if f is not first])))
    wrong_at = -1
    if p.fails["grounding"]:
        options = [i for i, (d, f) in enumerate(chosen) if f.alts
                   and not DOC_BY_ID[d][0].archived]
        if not options:
            d = next(d for d in cited if not DOC_BY_ID[d][0].archived)
            f = _pick(rng, [f for f in DOC_BY_ID[d][0].facts if f.alts])
            chosen.insert(int(rng.random() * (len(chosen) + 1)), (d, f))
            options = [i for i, (d2, f2) in enumerate(chosen) if f2 is f and d2 == d]
        wrong_at = int(_pick(rng, options))
    known = set().union(*(doc_numbers(d) for d in cited)) | avoid
    out = []
    for i, (d, f) in enumerate(chosen):
        numbers = f.numbers(DOC_BY_ID[d][1])
        if i == wrong_at:
            name = _pick(rng, sorted(f.alts))
            choices = [v for v in f.alts[name] if v not in known]
            numbers = numbers | {name: float(_pick(rng, choices))}
        words = rng.random() < hidden["words_rate"] * (2 if i == wrong_at else 1)
        out.append(render(_pick(rng, f.answer[answer_lang]), numbers, DOC_BY_ID[d][1]
                          if "price" in numbers else answer_lang, words))
    return out


LOG_1900, LOG_320, LOG_180 = math.log(1900), math.log(320), math.log(180)


@functools.cache
def _score_options(bar: float, passed: bool) -> tuple[tuple[float, ...], list[float]]:
    """Rubric scores (means of four 1-5 criteria: quarter points) and their cumulative
    weights: passes peak around 4.25, fails around 2.5-3."""
    grid = np.arange(1.0, 5.01, 0.25)
    if passed:
        options = grid[grid >= bar]
        w = np.exp(-0.5 * ((options - 4.3) / 0.55) ** 2)
    else:
        options = grid[grid < bar]
        w = np.exp(-0.5 * ((options - 2.7) / 0.8) ** 2)
    return tuple(float(x) for x in options), (np.cumsum(w) / w.sum()).tolist()


def _write_trace(rng: _Draws, p: _Plan, trace_id: str, when: dt.datetime,
                 s: _Slots, public: dict[str, Any], hidden: dict[str, Any],
                 fillers: list[str], scores: list[float]) -> dict[str, Any]:
    k, bar = int(public["k"]), float(public["score_bar"])
    lang = p.lang
    if p.turn == 1:
        query = _pick(rng, QUERIES[p.intent][lang]).format(**s.values)
    else:
        query = _pick(rng, FOLLOW_UPS[lang])
    customer_asked = "offer_human_handoff" in p.violations or (
        p.first == "ok" and not p.handoff and rng.random() < 0.03)
    if customer_asked:
        query += HUMAN_REQUEST[lang]

    # tools
    names = list(p.tools)
    status = ["ok"] * len(names)
    if p.tool_kind == "wrong":
        _, right, wrong = hidden["wrong_tool_pair"]
        names = [n for n in names if n != right] + [wrong]
        status = ["ok"] * len(names)
    elif p.tool_kind == "error":
        j = _int(rng, 0, len(names))
        status[j] = "timeout" if rng.random() < 0.3 else "error"
        names, status = names[: j + 1], status[: j + 1]
    if p.handoff or (customer_asked and "offer_human_handoff" not in p.violations):
        names.append("handoff_to_human")
        status.append("ok")
    calls: list[dict[str, Any]] = []
    sentence_keys = []
    for name, st in zip(names, status, strict=True):
        call, key = _tool_call(rng, name, st, s, p, calls)
        calls.append(call)
        sentence_keys.append(key if st == "ok" else "")

    # retrieval
    primary, second = gold_docs(p.intent, lang)
    gold = [primary] + ([second] if second and rng.random() < hidden["two_gold_rate"] else [])
    retrieved = _retrieved(rng, p, k, gold, fillers, hidden)

    # answer: the model's own words, citing the articles it used
    answer_lang = "en" if "reply_in_user_language" in p.violations else lang
    values = s.render(answer_lang)
    cited = [] if p.tool_kind == "error" else _citations(rng, p, k, retrieved, gold)
    amounts = {float(s.raw["amount"])}
    parts = [_pick(rng, OPENERS[p.intent][answer_lang]) if p.turn == 1 or rng.random() < 0.3
             else ""]
    if p.tool_kind == "error":
        parts.append(_pick(rng, TOOL_APOLOGY[answer_lang]))
    tool_parts = [_pick(rng, TOOL_SENTENCES[key][answer_lang]).format(**values)
                  for key in sentence_keys if key and key in TOOL_SENTENCES]
    facts = _fact_sentences(rng, p, cited, answer_lang, hidden, amounts) if cited else []
    if rng.random() < 0.5:
        parts += tool_parts[:-1] + facts + tool_parts[-1:]
    else:
        parts += tool_parts + facts
    for v in p.violations:
        if v in VIOLATION_TEXT:
            slug = SECTION_SLUG[DOC_BY_ID[primary][0].section]
            parts.append(VIOLATION_TEXT[v][answer_lang].format(slug=slug, card=s.values["card"]))
    parts.append(_pick(rng, CLOSERS[answer_lang]))
    answer = " ".join(x for x in parts if x)

    # rubric, latency, usage
    options, cumulative = _score_options(bar, p.rubric_pass)
    score = options[min(bisect.bisect_right(cumulative, rng.random()), len(options) - 1)]
    comments = RUBRIC_PASS_COMMENTS if p.rubric_pass else RUBRIC_FAIL_COMMENTS
    llm_ms = rng.lognormal(LOG_1900, 0.4) * (1 + 0.12 * len(answer) / 80)
    if rng.random() < 0.04:
        llm_ms += rng.exponential(6000)  # provider hiccups: the tail
    latency = int(_int(rng, 60, 240) + sum(c["latency_ms"] for c in calls) + llm_ms)
    stamp = when.isoformat(timespec="milliseconds") + "Z"  # milliseconds truncated
    return {
        "trace_id": trace_id,
        "started_at": stamp,
        "session_id": "",
        "turn": p.turn,
        "agent_version": p.version,
        "model": MODEL,
        "channel": "",
        "locale": "",
        "intent": p.intent,
        "query": query,
        "retrieved": [{"doc_id": d, "rank": i + 1, "score": sc}
                      for i, (d, sc) in enumerate(zip(retrieved, scores, strict=True))],
        "gold_doc_ids": gold,
        "tool_calls": calls,
        "answer": answer,
        "citations": cited,
        "instruction_violations": list(p.violations),
        "rubric_score": score,
        "rubric_comment": _pick(rng, comments),
        "reaction": p.reaction,
        "latency_ms": latency,
        "usage": {"prompt_tokens": 850 + 310 * k + 140 * (p.turn - 1) + _int(rng, 0, 400),
                  "completion_tokens": int(len(answer) / 3.6) + _int(rng, 0, 25)},
    }


# Every article's body, rendered once.
BODIES = {doc_id: " ".join(render(f.article[lang], f.numbers(lang), lang) for f in a.facts)
          for doc_id, a, lang in DOCS}


def _help_center(week_start: dt.date, rng: _Draws) -> pd.DataFrame:
    rows = []
    for doc_id, a, lang in DOCS:
        age = _int(rng, 500, 800) if a.archived else _int(rng, 12, 400)
        body = BODIES[doc_id]
        rows.append({
            "doc_id": doc_id,
            "language": lang,
            "title": a.title[lang],
            "section": a.section,
            "status": "archived" if a.archived else "published",
            "updated_at": (week_start - dt.timedelta(days=age)).isoformat(),
            "url": f"https://help.tidewell.com/{lang}/articles/{a.number}",
            "body": body,
        })
    return pd.DataFrame(rows)


def _tools_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"tool": name, "kind": kind, "intents": "|".join(intents), "description": text}
        for name, (intents, kind, text) in TOOLS.items()
    ])


def generate_with_truth(rng: np.random.Generator, params: dict[str, Any]
                        ) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
    """The variant's data files, and per trace id what was planted (for the tests)."""
    hidden, public = params["hidden"], params["public"]
    draws = _Draws(rng)
    plans: list[_Plan] = []
    ids: list[str] = []
    for _ in range(80):
        plans = _plans(draws, hidden)
        ids = [""] * len(plans)
        _place_w2(draws, hidden, plans, ids)
        if _plant_visible(hidden, plans):
            break
    reserved = set(hidden["w2_roles"])
    fresh = iter(rng.integers(0, 2**63, size=len(ids) + 8).tolist())
    for i in range(len(ids)):
        while not ids[i]:
            n = next(fresh, None)
            tid = _trace_id(rng) if n is None else f"tr_{n:016x}"
            if tid not in reserved:
                ids[i] = tid
                reserved.add(tid)
    # Drawn as arrays for all traces at once: the filler articles of each retrieval, and
    # its eight scores (the top one, then seven sorted steps down).
    fillers = _fillers(rng, plans)
    u = rng.random((len(plans), N_RETRIEVED))
    top = 0.78 + 0.15 * u[:, 0]
    steps = np.sort(u[:, 1:], axis=1) * (top - 0.3)[:, None]
    scores = np.round(np.column_stack([top, top[:, None] - steps]), 2).tolist()
    start = dt.datetime.fromisoformat(hidden["week_start"])
    times = [start + dt.timedelta(hours=p.hour) for p in plans]
    firsts: dict[int, tuple[str, dt.datetime]] = {}
    for p, when in zip(plans, times, strict=True):
        firsts.setdefault(p.session, (p.lang, when))
    slots_of = dict(zip(firsts, _all_slots(rng, list(firsts.values())), strict=True))
    session_meta: dict[int, tuple[str, str, str]] = {}
    traces = []
    for i, (p, tid) in enumerate(zip(plans, ids, strict=True)):
        when = times[i]
        if p.session not in session_meta:
            session_meta[p.session] = (f"ses_{_int(draws, 0, 2**40):010x}",
                                       _weighted(draws, CHANNELS),
                                       _pick(draws, LOCALES[p.lang]))
        sid, channel, locale = session_meta[p.session]
        slots = slots_of[p.session]
        trace = _write_trace(draws, p, tid, when, slots, public, hidden, fillers[i],
                             scores[i])
        trace |= {"session_id": sid, "channel": channel, "locale": locale}
        traces.append(trace)
    # "At or above the bar" must matter: a few passed-but-unhappy traces sit right on it.
    bar = float(public["score_bar"])
    slipped = [t for t in traces if t["rubric_score"] >= bar
               and t["reaction"] in ("down", "escalated")]
    if sum(t["rubric_score"] == bar for t in slipped) < 2:
        for t in slipped[:2]:
            t["rubric_score"] = bar
    truth = {tid: {"first": p.first, "contradicts": p.fails["grounding"], "role": p.role,
                   "handoff": p.handoff}
             for p, tid in zip(plans, ids, strict=True)}
    frames = {
        "traces.jsonl": pd.DataFrame(traces),
        "help_center.jsonl": _help_center(start.date(), draws),
        "tools.csv": _tools_frame(),
    }
    return frames, truth


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The variant's data files. Pure: writes nothing; deterministic given the rng."""
    return generate_with_truth(rng, params)[0]
