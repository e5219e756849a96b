"""trace-replay: a week of agent traces from a RAG support assistant, with planted failures.

Tidewell (the online store of triage-eval) runs *Tidewell Assist*, a chat agent on the
website, in the app and in the help widget. For every customer message it retrieves
help-center articles (a retriever returns 8, ranked; the top ``k`` go into the prompt),
may call tools (order, refund, returns, warranty, membership, payments, account), and
writes an answer whose claims each cite an article, a tool call, or nothing. An
automated rubric (an LLM judge) scores every answer from 1 to 5; the dashboard counts a
trace as passing at or above ``score_bar``. The replay team labelled last week's traces
with the customer's intent and the articles that actually answer it (gold).

What is planted (all drawn from the rng, see ``sample_parameters``):

- the dominant first failing stage, each with its own cause in the data: a tool-gateway
  incident (a time window of tool errors), a broken index for one language (retrieval),
  invented policy details on two intents (grounding), or English replies to non-English
  customers after an agent release (instruction);
- the traces the rubric passes although the customer was unhappy: one stage dominates
  them, never the overall dominant one, and its traces usually fail a later stage too;
- a tool that succeeds but is the wrong one for the intent (one of three pairs);
- gold articles ranked just below ``k`` (retrieved, never seen by the model), and
  intents with two gold articles, so recall@k, hit rate and "any rank" all differ;
- three traces for W2, one per diagnosis, whose ids are public parameters.
"""

import bisect
import datetime as dt
import functools
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

# ---------------------------------------------------------------------------------------
# The help center. Each article: id number, section, intent it answers (or None), status,
# titles and facts per language. Facts double as the answer's claim sentences.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    number: int
    section: str
    intent: str | None
    title: dict[str, str]
    facts: dict[str, tuple[str, ...]]
    archived: bool = False
    primary: bool = True  # the main article for its intent (vs. the second one)


ARTICLES: tuple[Article, ...] = (
    Article(1012, "Orders & delivery", "order_status", {
        "en": "Track your order", "es": "Seguir tu pedido", "de": "Bestellung verfolgen"}, {
        "en": ("You can follow every shipment under Account > Orders > Track package.",
               "Tracking updates can take up to 24 hours to appear after your order ships.",
               "Standard delivery takes 3-5 business days; express takes 1-2 business days."),
        "es": ("Puedes seguir cada envío en Cuenta > Pedidos > Seguir paquete.",
               "El seguimiento puede tardar hasta 24 horas en actualizarse tras el envío.",
               "La entrega estándar tarda de 3 a 5 días hábiles; la exprés, de 1 a 2."),
        "de": ("Jede Sendung finden Sie unter Konto > Bestellungen > Sendung verfolgen.",
               "Nach dem Versand kann es bis zu 24 Stunden dauern, bis das Tracking "
               "aktualisiert wird.",
               "Der Standardversand dauert 3-5 Werktage, der Expressversand 1-2 Werktage.")}),
    Article(1020, "Orders & delivery", "change_address", {
        "en": "Change your delivery address", "es": "Cambiar la dirección de entrega",
        "de": "Lieferadresse ändern"}, {
        "en": ("You can change the delivery address until the order status shows Shipped.",
               "Once an order has shipped, the carrier can only redirect it to a pickup "
               "point.",
               "Address changes are free of charge."),
        "es": ("Puedes cambiar la dirección hasta que el pedido aparezca como Enviado.",
               "Una vez enviado, el transportista solo puede desviarlo a un punto de "
               "recogida.",
               "Cambiar la dirección no tiene coste."),
        "de": ("Sie können die Lieferadresse ändern, bis die Bestellung als Versendet "
               "angezeigt wird.",
               "Nach dem Versand kann der Paketdienst nur noch an eine Packstation "
               "umleiten.",
               "Adressänderungen sind kostenlos.")}),
    Article(2041, "Returns & refunds", "refund_status", {
        "en": "When will I get my refund?", "es": "¿Cuándo recibiré mi reembolso?",
        "de": "Wann bekomme ich meine Erstattung?"}, {
        "en": ("Refunds are issued within 2 business days after your return reaches our "
               "warehouse.",
               "Card refunds take 5-10 business days to show on your statement, depending "
               "on your bank.",
               "You get an email with the refund amount as soon as the refund is issued."),
        "es": ("Emitimos el reembolso en un plazo de 2 días hábiles desde que la devolución "
               "llega a nuestro almacén.",
               "Los reembolsos a tarjeta tardan de 5 a 10 días hábiles en aparecer, según "
               "tu banco.",
               "Recibirás un correo con el importe en cuanto se emita el reembolso."),
        "de": ("Wir erstatten innerhalb von 2 Werktagen, nachdem Ihre Rücksendung in "
               "unserem Lager eingegangen ist.",
               "Kartenerstattungen erscheinen je nach Bank nach 5-10 Werktagen auf Ihrer "
               "Abrechnung.",
               "Sobald die Erstattung ausgelöst ist, erhalten Sie eine E-Mail mit dem "
               "Betrag.")}),
    Article(2043, "Returns & refunds", "refund_status", {
        "en": "Refund methods", "es": "Métodos de reembolso", "de": "Erstattungswege"}, {
        "en": ("Refunds go back to the original payment method.",
               "Orders paid with a gift card are refunded as store credit.",
               "PayPal refunds usually arrive within 3 business days."),
        "es": ("El reembolso se hace al método de pago original.",
               "Los pedidos pagados con tarjeta regalo se reembolsan como saldo en tienda.",
               "Los reembolsos por PayPal suelen llegar en 3 días hábiles."),
        "de": ("Die Erstattung erfolgt auf das ursprüngliche Zahlungsmittel.",
               "Mit Geschenkkarte bezahlte Bestellungen werden als Guthaben erstattet.",
               "PayPal-Erstattungen kommen meist innerhalb von 3 Werktagen an.")},
        primary=False),
    Article(2010, "Returns & refunds", "return_request", {
        "en": "Return window and conditions", "es": "Plazo y condiciones de devolución",
        "de": "Rückgabefrist und Bedingungen"}, {
        "en": ("You can return most items within 30 days of delivery.",
               "Items must be unused and in their original packaging.",
               "Tidewell Plus members get 60 days to return."),
        "es": ("Puedes devolver la mayoría de los artículos en los 30 días siguientes a la "
               "entrega.",
               "Los artículos deben estar sin usar y en su embalaje original.",
               "Los miembros de Tidewell Plus tienen 60 días para devolver."),
        "de": ("Die meisten Artikel können Sie innerhalb von 30 Tagen nach Lieferung "
               "zurückgeben.",
               "Die Artikel müssen unbenutzt und originalverpackt sein.",
               "Tidewell-Plus-Mitglieder haben 60 Tage Rückgaberecht.")}),
    Article(2012, "Returns & refunds", "return_request", {
        "en": "Start a return", "es": "Iniciar una devolución", "de": "Rücksendung starten"}, {
        "en": ("Start a return under Account > Orders > Return items.",
               "Return labels are free for defective items; otherwise we deduct $6.95 from "
               "the refund.",
               "Drop the parcel off within 14 days of printing the label."),
        "es": ("Inicia la devolución en Cuenta > Pedidos > Devolver artículos.",
               "La etiqueta es gratuita para artículos defectuosos; si no, descontamos "
               "6,95 € del reembolso.",
               "Entrega el paquete en los 14 días siguientes a imprimir la etiqueta."),
        "de": ("Starten Sie die Rücksendung unter Konto > Bestellungen > Artikel "
               "zurücksenden.",
               "Für defekte Artikel ist das Etikett kostenlos, sonst ziehen wir 6,95 € von "
               "der Erstattung ab.",
               "Geben Sie das Paket innerhalb von 14 Tagen nach dem Drucken des Etiketts "
               "ab.")},
        primary=False),
    Article(3005, "Warranty & repairs", "warranty_claim", {
        "en": "Tidewell warranty coverage", "es": "Cobertura de la garantía Tidewell",
        "de": "Tidewell-Garantieumfang"}, {
        "en": ("Tidewell electronics come with a 2-year limited warranty from the date of "
               "delivery.",
               "The warranty covers manufacturing defects, not accidental or water damage.",
               "Batteries are covered for 12 months."),
        "es": ("Los productos electrónicos Tidewell tienen una garantía limitada de 2 años "
               "desde la entrega.",
               "La garantía cubre defectos de fabricación, no daños accidentales ni por "
               "agua.",
               "Las baterías están cubiertas durante 12 meses."),
        "de": ("Tidewell-Elektronik hat ab Lieferung eine eingeschränkte Garantie von 2 "
               "Jahren.",
               "Die Garantie deckt Herstellungsfehler, keine Unfall- oder Wasserschäden.",
               "Akkus sind 12 Monate abgedeckt.")}),
    Article(3007, "Warranty & repairs", "warranty_claim", {
        "en": "File a warranty claim", "es": "Presentar una reclamación de garantía",
        "de": "Garantieanspruch melden"}, {
        "en": ("To file a warranty claim you need the serial number and a short description "
               "of the fault.",
               "We repair or replace the item, or refund it if neither is possible.",
               "Warranty repairs take about 10 business days once we receive the item."),
        "es": ("Para reclamar la garantía necesitas el número de serie y una breve "
               "descripción de la avería.",
               "Reparamos o sustituimos el artículo, o lo reembolsamos si no es posible.",
               "Las reparaciones en garantía tardan unos 10 días hábiles desde que "
               "recibimos el artículo."),
        "de": ("Für einen Garantieanspruch brauchen Sie die Seriennummer und eine kurze "
               "Fehlerbeschreibung.",
               "Wir reparieren oder ersetzen den Artikel oder erstatten ihn, wenn beides "
               "nicht geht.",
               "Garantiereparaturen dauern etwa 10 Werktage ab Eingang des Artikels.")},
        primary=False),
    Article(4002, "Tidewell Plus", "cancel_membership", {
        "en": "Cancel Tidewell Plus", "es": "Cancelar Tidewell Plus",
        "de": "Tidewell Plus kündigen"}, {
        "en": ("You can cancel Tidewell Plus at any time under Account > Membership.",
               "Your benefits continue until the end of the current billing period.",
               "If you cancel within 14 days of being charged and haven't used any "
               "benefits, we refund the full fee."),
        "es": ("Puedes cancelar Tidewell Plus cuando quieras en Cuenta > Membresía.",
               "Tus ventajas siguen activas hasta el final del periodo de facturación.",
               "Si cancelas en los 14 días siguientes al cobro sin haber usado ventajas, "
               "te devolvemos la cuota completa."),
        "de": ("Sie können Tidewell Plus jederzeit unter Konto > Mitgliedschaft kündigen.",
               "Ihre Vorteile bleiben bis zum Ende des laufenden Abrechnungszeitraums "
               "aktiv.",
               "Wenn Sie innerhalb von 14 Tagen nach der Abbuchung kündigen und keine "
               "Vorteile genutzt haben, erstatten wir den vollen Beitrag.")}),
    Article(5001, "Account & sign-in", "account_access", {
        "en": "Reset your password", "es": "Restablecer la contraseña",
        "de": "Passwort zurücksetzen"}, {
        "en": ("Use Forgot password on the sign-in page to get a reset link by email.",
               "The reset link expires after 30 minutes.",
               "If the email doesn't arrive, check your spam folder or add "
               "no-reply@tidewell.com to your contacts."),
        "es": ("Usa ¿Olvidaste tu contraseña? en la página de acceso para recibir un enlace "
               "por correo.",
               "El enlace caduca a los 30 minutos.",
               "Si no llega el correo, revisa la carpeta de spam o añade "
               "no-reply@tidewell.com a tus contactos."),
        "de": ("Über Passwort vergessen auf der Anmeldeseite erhalten Sie einen Link per "
               "E-Mail.",
               "Der Link ist 30 Minuten gültig.",
               "Kommt keine E-Mail an, prüfen Sie den Spam-Ordner oder fügen Sie "
               "no-reply@tidewell.com zu Ihren Kontakten hinzu.")}),
    Article(5003, "Account & sign-in", "account_access", {
        "en": "Two-step verification", "es": "Verificación en dos pasos",
        "de": "Zwei-Schritt-Verifizierung"}, {
        "en": ("Two-step verification sends a 6-digit code to your phone when you sign in "
               "on a new device.",
               "If you lost access to your phone, use one of your backup codes.",
               "Without backup codes, our team verifies your identity first; this takes 1-2 "
               "business days."),
        "es": ("La verificación en dos pasos envía un código de 6 dígitos a tu móvil al "
               "entrar desde un dispositivo nuevo.",
               "Si ya no tienes el móvil, usa uno de tus códigos de respaldo.",
               "Sin códigos de respaldo, verificamos tu identidad primero; tarda de 1 a 2 "
               "días hábiles."),
        "de": ("Die Zwei-Schritt-Verifizierung schickt bei der Anmeldung auf einem neuen "
               "Gerät einen 6-stelligen Code an Ihr Handy.",
               "Haben Sie keinen Zugriff mehr auf Ihr Handy, nutzen Sie einen Backup-Code.",
               "Ohne Backup-Codes prüfen wir zuerst Ihre Identität; das dauert 1-2 "
               "Werktage.")},
        primary=False),
    Article(6004, "Payments", "payment_issue", {
        "en": "Why do I see two charges?", "es": "¿Por qué veo dos cargos?",
        "de": "Warum sehe ich zwei Abbuchungen?"}, {
        "en": ("A second charge is usually a pending authorization that disappears within "
               "3-5 business days.",
               "We only charge your card when the order ships.",
               "If both charges are still there after 5 business days, send us your "
               "statement and we'll investigate."),
        "es": ("Un segundo cargo suele ser una autorización pendiente que desaparece en 3-5 "
               "días hábiles.",
               "Solo cobramos la tarjeta cuando se envía el pedido.",
               "Si tras 5 días hábiles siguen los dos cargos, envíanos el extracto y lo "
               "investigamos."),
        "de": ("Eine zweite Abbuchung ist meist eine vorgemerkte Autorisierung, die nach 3-5 "
               "Werktagen verschwindet.",
               "Wir belasten Ihre Karte erst, wenn die Bestellung versendet wird.",
               "Sind nach 5 Werktagen noch beide Buchungen da, schicken Sie uns Ihren "
               "Kontoauszug.")}),
    Article(6006, "Payments", None, {
        "en": "Payment declined at checkout", "es": "Pago rechazado al pagar",
        "de": "Zahlung beim Bezahlen abgelehnt"}, {
        "en": ("Payments are often declined when the billing address doesn't match the one "
               "your bank has.",
               "Some banks block online payments above a limit; your bank can lift it.",
               "We accept Visa, Mastercard, American Express, PayPal and Tidewell gift "
               "cards."),
        "es": ("Los pagos suelen rechazarse si la dirección de facturación no coincide con "
               "la de tu banco.",
               "Algunos bancos bloquean pagos online por encima de un límite; tu banco "
               "puede subirlo.",
               "Aceptamos Visa, Mastercard, American Express, PayPal y tarjetas regalo "
               "Tidewell."),
        "de": ("Zahlungen werden oft abgelehnt, wenn die Rechnungsadresse nicht mit der bei "
               "Ihrer Bank übereinstimmt.",
               "Manche Banken sperren Onlinezahlungen über einem Limit; Ihre Bank kann es "
               "aufheben.",
               "Wir akzeptieren Visa, Mastercard, American Express, PayPal und "
               "Tidewell-Geschenkkarten.")}),
    # Archived policies, still in the index: they outrank the current ones now and then.
    Article(2009, "Returns & refunds", None, {"en": "[Archived] Return policy (2024)"}, {
        "en": ("You can return most items within 14 days of delivery.",
               "Return shipping costs $9.95 for all items.")}, archived=True),
    Article(2040, "Returns & refunds", None, {"en": "[Archived] Refund timing (2024)"}, {
        "en": ("Refunds are issued within 14 business days after we receive your return.",
               "Refunds for orders older than 90 days are paid as store credit.")},
        archived=True),
    Article(4001, "Tidewell Plus", None, {"en": "[Archived] Tidewell Plus FAQ (2024)"}, {
        "en": ("Tidewell Plus can only be cancelled by phone.",
               "Tidewell Plus costs $49 per year.")}, archived=True),
    Article(1030, "Orders & delivery", None, {
        "en": "Shipping to Alaska, Hawaii and Puerto Rico"}, {
        "en": ("Orders to Alaska, Hawaii and Puerto Rico ship by USPS Priority Mail.",
               "Delivery to these areas takes 5-9 business days.")}),
    Article(7002, "Gift cards", None, {"en": "Gift cards"}, {
        "en": ("Tidewell gift cards never expire.", "Gift cards can't be exchanged for cash.")}),
    Article(6010, "Payments", None, {"en": "Price adjustments"}, {
        "en": ("If the price of an item drops within 14 days of your purchase, we refund the "
               "difference once.",
               "Price adjustments don't apply to clearance items.")}),
    Article(8001, "Product help", None, {"en": "Caring for your Drift 2 robot vacuum"}, {
        "en": ("Empty the dust bin after every run.", "Replace the filter every 3 months.")}),
)
# The archived policy that still competes with the current article of an intent.
STALE_ARTICLE = {"refund_status": 2040, "return_request": 2009, "cancel_membership": 4001}
SECTION_SLUG = {"Orders & delivery": "orders", "Returns & refunds": "returns",
                "Warranty & repairs": "warranty", "Tidewell Plus": "plus",
                "Account & sign-in": "account", "Payments": "payments",
                "Gift cards": "gift-cards", "Product help": "products"}

# Plausible but false: what the model writes when it invents policy (claims cite nothing).
INVENTED: dict[str, dict[str, tuple[str, ...]]] = {
    "order_status": {
        "en": ("If a package hasn't arrived within 2 days, we send a replacement "
               "automatically.", "All orders ship with free overnight delivery."),
        "es": ("Si el paquete no llega en 2 días, enviamos un reemplazo automáticamente.",
               "Todos los pedidos se envían con entrega urgente gratuita."),
        "de": ("Kommt ein Paket nicht innerhalb von 2 Tagen an, schicken wir automatisch "
               "Ersatz.", "Alle Bestellungen werden kostenlos über Nacht geliefert.")},
    "change_address": {
        "en": ("We can change the address at any time, even after a delivery attempt.",
               "Address changes cost $4.99 per order."),
        "es": ("Podemos cambiar la dirección en cualquier momento, incluso tras un intento "
               "de entrega.", "Cambiar la dirección cuesta 4,99 € por pedido."),
        "de": ("Wir können die Adresse jederzeit ändern, auch nach einem Zustellversuch.",
               "Eine Adressänderung kostet 4,99 € pro Bestellung.")},
    "refund_status": {
        "en": ("Refunds always show on your card within 24 hours.",
               "We issue the refund as soon as you drop the parcel off with the carrier."),
        "es": ("Los reembolsos siempre aparecen en la tarjeta en 24 horas.",
               "Emitimos el reembolso en cuanto entregas el paquete al transportista."),
        "de": ("Erstattungen sind immer innerhalb von 24 Stunden auf Ihrer Karte.",
               "Wir erstatten, sobald Sie das Paket beim Paketdienst abgeben.")},
    "return_request": {
        "en": ("You can return any item within 90 days, even if it has been used.",
               "Return labels are always free."),
        "es": ("Puedes devolver cualquier artículo en 90 días, aunque esté usado.",
               "Las etiquetas de devolución son siempre gratuitas."),
        "de": ("Sie können jeden Artikel 90 Tage lang zurückgeben, auch benutzt.",
               "Rücksendeetiketten sind immer kostenlos.")},
    "warranty_claim": {
        "en": ("The warranty also covers accidental damage in the first year.",
               "All Tidewell electronics have a 5-year warranty."),
        "es": ("La garantía también cubre daños accidentales el primer año.",
               "Todos los productos electrónicos Tidewell tienen 5 años de garantía."),
        "de": ("Die Garantie deckt im ersten Jahr auch Unfallschäden.",
               "Alle Tidewell-Elektronikartikel haben 5 Jahre Garantie.")},
    "cancel_membership": {
        "en": ("Cancelling refunds the rest of your annual fee pro rata.",
               "You can only cancel Tidewell Plus in the month before it renews."),
        "es": ("Al cancelar te devolvemos la parte proporcional de la cuota anual.",
               "Solo puedes cancelar Tidewell Plus en el mes anterior a la renovación."),
        "de": ("Bei Kündigung erstatten wir den Rest des Jahresbeitrags anteilig.",
               "Tidewell Plus kann nur im Monat vor der Verlängerung gekündigt werden.")},
    "account_access": {
        "en": ("We can email you your current password.",
               "Reset links stay valid for 7 days."),
        "es": ("Podemos enviarte tu contraseña actual por correo.",
               "Los enlaces de restablecimiento valen 7 días."),
        "de": ("Wir können Ihnen Ihr aktuelles Passwort per E-Mail schicken.",
               "Links zum Zurücksetzen sind 7 Tage gültig.")},
    "payment_issue": {
        "en": ("Duplicate charges are refunded automatically within 1 hour.",
               "A second charge means the order was placed twice and will ship twice."),
        "es": ("Los cargos duplicados se devuelven automáticamente en 1 hora.",
               "Un segundo cargo significa que el pedido se hizo dos veces y se enviará "
               "dos veces."),
        "de": ("Doppelte Abbuchungen werden automatisch innerhalb 1 Stunde erstattet.",
               "Eine zweite Abbuchung heißt, dass die Bestellung doppelt verschickt wird.")},
}

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
HUMAN_REQUEST = {"en": " Can I talk to a real person?", "es": " ¿Puedo hablar con una persona?",
                 "de": " Kann ich mit einem Menschen sprechen?"}

# ---------------------------------------------------------------------------------------
# Tools: name -> (intents it serves, read/write, description). The catalog is a data file.
# ---------------------------------------------------------------------------------------

TOOLS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "get_order_status": (("order_status", "change_address", "return_request"), "read",
                         "Shipping status, carrier and delivery date of one order."),
    "update_shipping_address": (("change_address",), "write",
                                "Change the delivery address of an order that has not "
                                "shipped."),
    "get_refund_status": (("refund_status",), "read",
                          "State, amount and date of the refund for a returned order."),
    "check_return_eligibility": (("return_request",), "read",
                                 "Whether an order can still be returned, and until when."),
    "create_return": (("return_request",), "write",
                      "Open a return (RMA) for an order and email a return label."),
    "check_warranty": (("warranty_claim",), "read",
                       "Warranty status of a product by serial number."),
    "create_warranty_claim": (("warranty_claim",), "write",
                              "Open a warranty claim for a product by serial number."),
    "get_membership": (("cancel_membership",), "read",
                       "Plan, renewal date and last charge of a Tidewell Plus membership."),
    "cancel_membership": (("cancel_membership",), "write",
                          "Cancel a Tidewell Plus membership at the end of the period."),
    "send_password_reset": (("account_access",), "write",
                            "Email a password reset link to the account's address."),
    "get_payment_history": (("payment_issue",), "read",
                            "Charges and authorizations on an order's payment method."),
    "handoff_to_human": (tuple(QUERIES), "write",
                         "Hand the conversation to a human agent, with a summary."),
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
# What a successful tool call lets the agent claim, per language.
TOOL_CLAIMS: dict[str, dict[str, str]] = {
    "get_order_status": {
        "en": "Your order {order} was delivered on {date} by {carrier}.",
        "es": "Tu pedido {order} se entregó el {date} con {carrier}.",
        "de": "Ihre Bestellung {order} wurde am {date} von {carrier} zugestellt."},
    "update_shipping_address": {
        "en": "I've updated the delivery address for {order}.",
        "es": "He actualizado la dirección de entrega del pedido {order}.",
        "de": "Ich habe die Lieferadresse für {order} geändert."},
    "get_refund_status": {
        "en": "A refund of {amount} for {order} was issued on {date}.",
        "es": "El reembolso de {amount} del pedido {order} se emitió el {date}.",
        "de": "Die Erstattung über {amount} für {order} wurde am {date} ausgelöst."},
    "check_return_eligibility": {
        "en": "Order {order} can still be returned until {later}.",
        "es": "El pedido {order} se puede devolver hasta el {later}.",
        "de": "Bestellung {order} kann noch bis {later} zurückgegeben werden."},
    "create_return": {
        "en": "I've opened return {rma} and emailed you a prepaid label.",
        "es": "He abierto la devolución {rma} y te he enviado la etiqueta por correo.",
        "de": "Ich habe die Rücksendung {rma} angelegt und Ihnen das Etikett gemailt."},
    "check_warranty": {
        "en": "Your {product} is under warranty until {later}.",
        "es": "Tu {product} está en garantía hasta el {later}.",
        "de": "Ihr {product} hat Garantie bis {later}."},
    "create_warranty_claim": {
        "en": "I've filed warranty claim {claim}; we'll email you a shipping label.",
        "es": "He abierto la reclamación de garantía {claim}; te enviaremos una etiqueta.",
        "de": "Ich habe den Garantiefall {claim} angelegt; Sie bekommen ein Etikett per "
              "E-Mail."},
    "get_membership": {
        "en": "Your Tidewell Plus membership renews on {later}.",
        "es": "Tu membresía Tidewell Plus se renueva el {later}.",
        "de": "Ihre Tidewell-Plus-Mitgliedschaft verlängert sich am {later}."},
    "cancel_membership": {
        "en": "Your Tidewell Plus membership is cancelled; benefits run until {later}.",
        "es": "Tu membresía Tidewell Plus está cancelada; las ventajas siguen hasta el "
              "{later}.",
        "de": "Ihre Tidewell-Plus-Mitgliedschaft ist gekündigt; die Vorteile laufen bis "
              "{later}."},
    "send_password_reset": {
        "en": "I've sent a new reset link to {email_masked}.",
        "es": "He enviado un nuevo enlace a {email_masked}.",
        "de": "Ich habe einen neuen Link an {email_masked} geschickt."},
    "get_payment_history": {
        "en": "The second charge of {amount} on {order} is a pending authorization.",
        "es": "El segundo cargo de {amount} del pedido {order} es una autorización "
              "pendiente.",
        "de": "Die zweite Abbuchung über {amount} für {order} ist eine vorgemerkte "
              "Autorisierung."},
    "handoff_to_human": {
        "en": "I've passed your conversation to a colleague (ticket {ticket}).",
        "es": "He pasado tu conversación a un compañero (ticket {ticket}).",
        "de": "Ich habe Ihr Anliegen an einen Kollegen übergeben (Ticket {ticket})."},
}
OPENERS = {"en": ("Thanks for reaching out!", "Happy to help.", "Sorry about the trouble.",
                  "Thanks for your patience."),
           "es": ("¡Gracias por escribirnos!", "Con gusto te ayudo.", "Siento las molestias."),
           "de": ("Danke für Ihre Nachricht!", "Gern helfe ich weiter.",
                  "Entschuldigen Sie die Umstände.")}
CLOSERS = {"en": ("Anything else I can help with?", "Let me know if that helps.", ""),
           "es": ("¿Te ayudo con algo más?", "", "Avísame si necesitas algo más."),
           "de": ("Kann ich sonst noch helfen?", "", "Melden Sie sich gern wieder.")}
TOOL_APOLOGY = {"en": "I'm sorry, I couldn't reach our systems just now. Please try again later.",
                "es": "Lo siento, ahora mismo no puedo acceder a nuestros sistemas. Inténtalo "
                      "más tarde.",
                "de": "Leider erreiche ich unsere Systeme gerade nicht. Bitte versuchen Sie es "
                      "später erneut."}
# Instruction violations: the system prompt's rules, as the automated checker names them.
VIOLATION_TEXT = {
    "no_refund_promises": {"en": "I'll make sure you get a full refund today.",
                           "es": "Me aseguro de que hoy recibas el reembolso completo.",
                           "de": "Ich sorge dafür, dass Sie heute die volle Erstattung "
                                 "bekommen."},
    "no_internal_links": {"en": "Details: https://wiki.tidewell.internal/support/{slug}",
                          "es": "Detalles: https://wiki.tidewell.internal/support/{slug}",
                          "de": "Details: https://wiki.tidewell.internal/support/{slug}"},
    "no_personal_data": {"en": "I have your card on file as {card}.",
                         "es": "Tengo tu tarjeta registrada como {card}.",
                         "de": "Ihre Karte ist als {card} hinterlegt."},
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
EMAIL_USERS = ("sarah.k", "mike_1987", "jpatel", "mariagg", "j.weber", "lucia.r", "t.nguyen",
               "k.schmidt", "dave.k22", "ana.belen")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "gmx.de", "web.de",
                 "hotmail.es")


def _doc_id(number: int, lang: str) -> str:
    return f"kb-{number}-{lang}"


def _article_docs() -> list[tuple[str, Article, str]]:
    """(doc_id, article, language) for every document in the store."""
    return [(_doc_id(a.number, lang), a, lang) for a in ARTICLES for lang in a.facts]


DOCS = _article_docs()
DOC_BY_ID = {doc_id: (a, lang) for doc_id, a, lang in DOCS}


def gold_docs(intent: str, lang: str) -> tuple[str, str | None]:
    """The primary and (if any) the second gold article for an intent, in the language."""
    primary = next(a for a in ARTICLES if a.intent == intent and a.primary)
    second = next((a for a in ARTICLES if a.intent == intent and not a.primary), None)
    return _doc_id(primary.number, lang), (
        _doc_id(second.number, lang) if second is not None else None)


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
    others = [lang for lang in LANGS if lang != "en"]
    hidden: dict[str, Any] = {
        "n_traces": int(rng.integers(620, 901)),
        "week_start": start.isoformat(),
        "language_share": {"en": _round(rng.uniform(0.52, 0.64))},
        "es_of_rest": _round(rng.uniform(0.45, 0.65)),
        "intent_share": {i: _round(s) for i, s in zip(intents, intent_share, strict=True)},
        "dominant_stage": dominant,
        "rubric_blind_stage": hidden_stage,
        "wrong_tool_pair": list(WRONG_TOOL_PAIRS[pair]),
        # Share of all traces that call the wrong tool (all of them on one intent).
        "wrong_tool_share": _round(rng.uniform(0.05, 0.065) if hidden_stage == "tool"
                                   else rng.uniform(0.025, 0.035)),
        # The cause behind the dominant stage, and the share of all traces it breaks.
        "dominant_share": _round(rng.uniform(0.10, 0.13)),
        "incident": {"start_hour": int(rng.integers(24, 100)),
                     "hours": int(rng.integers(34, 56))},
        "broken_index_language": str(rng.choice(others)),
        "invention_intents": [str(x) for x in rng.choice(
            ["refund_status", "return_request", "warranty_claim", "cancel_membership",
             "payment_issue"], size=2, replace=False)],
        "release_hour": int(rng.integers(48, 90)),
        # Background rates of each stage, and the boost of the rubric-blind stage.
        "base_rate": {"tool": _round(rng.uniform(0.01, 0.02)),
                      "retrieval": _round(rng.uniform(0.025, 0.04)),
                      "grounding": _round(rng.uniform(0.02, 0.035)),
                      "instruction": _round(rng.uniform(0.015, 0.025))},
        "blind_boost": _round(rng.uniform(0.045, 0.06)),
        "late_gold_share": _round(rng.uniform(0.6, 0.75)),
        "two_gold_rate": _round(rng.uniform(0.5, 0.7)),
        "partial_second_gold": _round(rng.uniform(0.3, 0.45)),
        "rubric_pass": {"ok": _round(rng.uniform(0.97, 0.99)),
                        "blind": _round(rng.uniform(0.9, 0.96)),
                        "dominant": _round(rng.uniform(0.2, 0.35)),
                        "other": _round(rng.uniform(0.65, 0.8)),
                        "tool_error": _round(rng.uniform(0.08, 0.18))},
        "unhappy": {"ok": _round(rng.uniform(0.06, 0.09)),
                    "tool": _round(rng.uniform(0.7, 0.85)),
                    "retrieval": _round(rng.uniform(0.75, 0.88)),
                    "grounding": _round(rng.uniform(0.62, 0.75)),
                    "instruction": _round(rng.uniform(0.45, 0.6))},
        "escalated_share": _round(rng.uniform(0.35, 0.5)),
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
    """One trace before it is written."""

    lang: str
    intent: str
    hour: float  # hours since the start of the week (UTC)
    version: str
    tools: list[str]
    fails: dict[str, bool] = field(default_factory=dict)
    tool_kind: str = ""  # error | wrong (when fails["tool"])
    violations: list[str] = field(default_factory=list)
    rubric_pass: bool = True
    reaction: str = "none"
    role: str = ""  # the W2 role, if any

    @property
    def first(self) -> str:
        return next((s for s in STAGES if self.fails.get(s)), "ok")

    @property
    def last(self) -> str:
        return next((s for s in reversed(STAGES) if self.fails.get(s)), "ok")


def _pick(rng: np.random.Generator, items: Any) -> Any:
    """One item, uniformly (a scalar draw: much faster than ``rng.integers``)."""
    return items[int(rng.random() * len(items))]


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    """A whole number in [low, high), uniformly."""
    return low + int(rng.random() * (high - low))


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys, cumulative = _cumulative(tuple(weights.items()))
    return keys[min(bisect.bisect_right(cumulative, rng.random()), len(keys) - 1)]


@functools.cache
def _cumulative(items: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    total = np.cumsum([float(w) for _, w in items])
    return [str(key) for key, _ in items], (total / total[-1]).tolist()


def _hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Arrival times over one week: busy afternoons (UTC), quieter weekends."""
    hour_w = np.exp(-0.5 * ((np.arange(24) - 15.5) / 4.2) ** 2) + 0.08
    day_w = np.array([1.0, 1.0, 0.95, 0.95, 0.9, 0.6, 0.55])
    w = (day_w[:, None] * hour_w[None, :]).ravel()
    slot = rng.choice(len(w), size=n, p=w / w.sum())
    return np.sort(slot + rng.random(n))


def _plans(rng: np.random.Generator, hidden: dict[str, Any]) -> list[_Plan]:
    n = int(hidden["n_traces"])
    dominant, blind = hidden["dominant_stage"], hidden["rubric_blind_stage"]
    base = hidden["base_rate"]
    intent_w = dict(hidden["intent_share"])
    lang_w = dict(hidden["language_share"])
    wrong_intent = hidden["wrong_tool_pair"][0]
    p_wrong = min(0.9, hidden["wrong_tool_share"] / intent_w[wrong_intent])
    inc = hidden["incident"]
    hours = _hours(rng, n)
    in_incident = (inc["start_hour"] <= hours) & (hours < inc["start_hour"] + inc["hours"])
    after_release = hours >= hidden["release_hour"]
    # How often the dominant cause strikes where it can, to break dominant_share of traces.
    exposed = {
        "tool": float(in_incident.mean()) * 0.88,
        "retrieval": float(lang_w[hidden["broken_index_language"]]),
        "grounding": sum(float(intent_w[i]) for i in hidden["invention_intents"]),
        "instruction": (1 - float(lang_w["en"])) * float(after_release.mean()),
    }[dominant]
    strike = min(0.85, float(hidden["dominant_share"]) / max(exposed, 1e-9))
    plans = []
    for index, hour in enumerate(hours):
        lang, intent = _weighted(rng, lang_w), _weighted(rng, intent_w)
        version = AGENT_VERSIONS[int(after_release[index])]
        plan_tools = TOOL_PLAN[intent]
        tools = [] if rng.random() < 0.12 else list(plan_tools[:1])
        if tools and len(plan_tools) > 1 and rng.random() < 0.5:
            tools.append(plan_tools[1])
        if intent == wrong_intent and not tools:
            tools = list(plan_tools[:1])
        p = _Plan(lang, intent, float(hour), version, tools)

        # tool: an error, or the planted wrong tool
        p_err = base["tool"] + (strike if dominant == "tool" and in_incident[index] else 0)
        wrong = intent == wrong_intent and rng.random() < p_wrong
        if wrong:
            p.fails["tool"], p.tool_kind = True, "wrong"
        elif tools and rng.random() < p_err:
            p.fails["tool"], p.tool_kind = True, "error"
        # retrieval: no gold article in the top k
        p_retr = base["retrieval"] + (hidden["blind_boost"] if blind == "retrieval" else 0)
        if dominant == "retrieval" and lang == hidden["broken_index_language"]:
            p_retr += strike
        p.fails["retrieval"] = bool(rng.random() < p_retr)
        # grounding: a claim that cites nothing. Missing context and wrong tool output
        # invite invention.
        p_gr = base["grounding"] + (hidden["blind_boost"] if blind == "grounding" else 0)
        if dominant == "grounding" and intent in hidden["invention_intents"]:
            p_gr += strike
        if p.fails["retrieval"]:
            p_gr = max(p_gr, 0.65)
        if p.tool_kind == "wrong":
            p_gr = max(p_gr, 0.6)
        p.fails["grounding"] = bool(rng.random() < p_gr)
        # instruction
        p_in = base["instruction"]
        if p.fails["grounding"]:
            p_in = max(p_in, 0.55 if blind == "grounding" else 0.3)
        if p.fails["retrieval"] or p.tool_kind == "wrong":
            p_in = max(p_in, 0.12)
        english_reply = (dominant == "instruction" and lang != "en"
                         and version == AGENT_VERSIONS[1]
                         and rng.random() < strike)
        if english_reply:
            p.violations.append("reply_in_user_language")
        elif rng.random() < p_in:
            p.violations.append(_violation(rng, p))
        p.fails["instruction"] = bool(p.violations)
        _score_and_react(rng, hidden, p)
        plans.append(p)
    return plans


def _violation(rng: np.random.Generator, p: _Plan) -> str:
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


def _score_and_react(rng: np.random.Generator, hidden: dict[str, Any], p: _Plan) -> None:
    p.rubric_pass = bool(rng.random() < hidden["rubric_pass"][_stage_key(hidden, p)])
    unhappy = rng.random() < hidden["unhappy"][p.first]
    if unhappy:
        p.reaction = "escalated" if rng.random() < hidden["escalated_share"] else "down"
    else:
        p.reaction = "up" if rng.random() < 0.27 else "none"


def _place_w2(rng: np.random.Generator, hidden: dict[str, Any], plans: list[_Plan],
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
        pool = [i for i in pool if i not in taken and 0.1 * len(plans) < i < 0.9 * len(plans)]
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
    in_set: dict[str, int] = {}
    in_set_last: dict[str, int] = {}
    escalated = 0
    for p in plans:
        firsts[p.first] = firsts.get(p.first, 0) + 1
        if p.rubric_pass and p.reaction in ("down", "escalated"):
            in_set[p.first] = in_set.get(p.first, 0) + 1
            in_set_last[p.last] = in_set_last.get(p.last, 0) + 1
            escalated += p.reaction == "escalated"
    dom, margin = _dominant(firsts)
    blind, blind_margin = _dominant(in_set)
    last, _ = _dominant(in_set_last)
    wrong = sum(p.tool_kind == "wrong" for p in plans)
    n_pass = sum(p.rubric_pass for p in plans)
    precision = 1.0 - sum(in_set.values()) / n_pass
    # Trusting the rubric (its pass rate as its precision) must be visibly wrong.
    return (dom == hidden["dominant_stage"] and margin >= 4
            and blind == hidden["rubric_blind_stage"] and blind_margin >= 2
            and last != blind and escalated >= 4 and wrong >= 6
            and 0.83 <= n_pass / len(plans) <= 0.95
            and abs(precision - n_pass / len(plans)) > 0.01)


# ---------------------------------------------------------------------------------------
# Writing a trace
# ---------------------------------------------------------------------------------------


def _fmt_date(lang: str, day: dt.date) -> str:
    if lang == "es":
        return f"{day.day} de {MONTHS_ES[day.month - 1]}"
    if lang == "de":
        return f"{day.day}. {MONTHS_DE[day.month - 1]}"
    return f"{day:%b} {day.day}"


def _fmt_amount(lang: str, value: float) -> str:
    if lang == "en":
        return f"${value:,.2f}"
    return f"{value:.2f}".replace(".", ",") + " €"


@dataclass(frozen=True)
class _Slots:
    values: dict[str, str]
    raw: dict[str, Any]

    def render(self, lang: str) -> dict[str, str]:
        """The slot values as an answer in ``lang`` writes them."""
        return self.values | {
            "date": _fmt_date(lang, dt.date.fromisoformat(self.raw["past"])),
            "later": _fmt_date(lang, dt.date.fromisoformat(self.raw["later"])),
            "amount": _fmt_amount(lang, float(self.raw["amount"])),
        }


def _slots(rng: np.random.Generator, lang: str, when: dt.datetime) -> _Slots:
    order = f"TW-{_int(rng, 1000000, 9999999)}"
    past = (when - dt.timedelta(days=_int(rng, 2, 16))).date()
    later = (when + dt.timedelta(days=_int(rng, 10, 300))).date()
    amount = float(_pick(rng, (19.99, 24.5, 39.0, 49.0, 64.9, 89.99, 129.0, 149.9, 219.0)))
    user = _pick(rng, EMAIL_USERS)
    email = f"{user}@{_pick(rng, EMAIL_DOMAINS)}"
    values = {
        "order": order,
        "date": _fmt_date(lang, past),
        "later": _fmt_date(lang, later),
        "amount": _fmt_amount(lang, amount),
        "product": _pick(rng, PRODUCTS),
        "carrier": _pick(rng, CARRIERS[lang]),
        "email": email,
        "email_masked": email[0] + "***" + email[email.index("@") - 1:],
        "rma": f"RMA-{_int(rng, 100000, 999999)}",
        "claim": f"WC-{_int(rng, 10000, 99999)}",
        "ticket": f"#{_int(rng, 4000000, 4999999)}",
        "card": f"4{_int(rng, 10**14, 10**15 - 1)}",
    }
    raw = {"order": order, "past": past.isoformat(), "later": later.isoformat(),
           "amount": amount, "email": email}
    return _Slots(values, raw)


def _tool_call(rng: np.random.Generator, name: str, idx: int, status: str,
               s: _Slots) -> dict[str, Any]:
    r = s.raw
    args: dict[str, Any] = {"order_id": r["order"]}
    output: dict[str, Any]
    if name == "update_shipping_address":
        args["address_id"] = f"addr_{_int(rng, 10000, 99999)}"
        output = {"updated": True}
    elif name == "get_order_status":
        output = {"status": "delivered", "delivered_at": r["past"],
                  "carrier": s.values["carrier"]}
    elif name == "get_refund_status":
        output = {"state": "issued", "amount": r["amount"], "issued_at": r["past"]}
    elif name == "check_return_eligibility":
        output = {"eligible": True, "window_ends": r["later"]}
    elif name == "create_return":
        args["reason"] = "customer_request"
        output = {"rma": s.values["rma"], "label_sent": True}
    elif name in ("check_warranty", "create_warranty_claim"):
        args = {"serial": f"SN{_int(rng, 10**9, 10**10 - 1)}"}
        output = ({"covered": True, "expires": r["later"]} if name == "check_warranty"
                  else {"claim_id": s.values["claim"]})
    elif name in ("get_membership", "cancel_membership"):
        args = {"account_id": f"acct_{_int(rng, 10**6, 10**7 - 1)}"}
        output = ({"plan": "plus_annual", "renews_on": r["later"]} if name == "get_membership"
                  else {"cancelled": True, "effective": r["later"]})
    elif name == "send_password_reset":
        args = {"email": r["email"]}
        output = {"sent": True}
    elif name == "get_payment_history":
        output = {"charges": 1, "pending_authorizations": 1, "amount": r["amount"]}
    else:  # handoff_to_human
        args = {"reason": "customer_request"}
        output = {"ticket": s.values["ticket"]}
    if status == "ok":
        latency = int(rng.lognormal(np.log(320), 0.45))
    elif status == "timeout":
        latency, output = 8000, {"error": "upstream timeout after 8000 ms"}
    else:
        latency = int(rng.lognormal(np.log(180), 0.6))
        output = {"error": _pick(rng, ("503 Service Unavailable", "502 Bad Gateway",
                                       "500 Internal Server Error"))}
    return {"call_id": f"call_{idx}", "name": name, "arguments": args, "status": status,
            "latency_ms": latency, "output": output}


@functools.cache
def _filler_pool(lang: str, primary: str) -> tuple[list[str], np.ndarray]:
    """Articles a query in ``lang`` about ``primary``'s topic retrieves besides the gold:
    the same section, the same language and archived policies are likelier."""
    article = DOC_BY_ID[primary][0]
    pool = [d for d, a, x in DOCS
            if a.intent != article.intent and (x == lang or x == "en")]
    weight = np.array([(3.0 if DOC_BY_ID[d][0].section == article.section else 1.0)
                       * (2.0 if DOC_BY_ID[d][1] == lang else 1.0)
                       * (2.5 if DOC_BY_ID[d][0].archived else 1.0) for d in pool])
    return pool, weight


def _retrieved(rng: np.random.Generator, p: _Plan, k: int, gold: list[str],
               hidden: dict[str, Any]) -> list[dict[str, Any]]:
    """Eight ranked articles. Gold articles land in the top k unless retrieval fails."""
    lang, intent = p.lang, p.intent
    pool, weight = _filler_pool(lang, gold[0])
    # Weighted sampling without replacement: the smallest exponential keys win.
    keys = rng.exponential(size=len(pool)) / weight
    fillers = [pool[i] for i in np.argsort(keys)[:N_RETRIEVED]]
    ranks: dict[str, int] = {}
    if p.fails["retrieval"]:
        late = rng.random() < hidden["late_gold_share"] or p.role == "context"
        if late:
            ranks[gold[0]] = k + 1 if p.role == "context" else _int(rng, k + 1, 9)
    else:
        ranks[gold[0]] = int(min(rng.geometric(0.55), k))
        if len(gold) > 1 and rng.random() < hidden["partial_second_gold"]:
            if rng.random() < 0.6:
                ranks[gold[1]] = _int(rng, k + 1, 9)
        elif len(gold) > 1:
            ranks[gold[1]] = _int(rng, 1, k + 1)
            while ranks[gold[1]] == ranks[gold[0]]:
                ranks[gold[1]] = _int(rng, 1, k + 1)
    order: list[str | None] = [None] * N_RETRIEVED
    for doc, rank in ranks.items():
        if order[rank - 1] is None:
            order[rank - 1] = doc
    rest = iter(fillers)
    out = [d if d is not None else next(rest) for d in order]
    if p.role == "context":
        # The stale policy outranks everything: the classic "wrong context" trace.
        sid = _doc_id(STALE_ARTICLE[intent], "en")
        out = [sid] + [d for d in out if d not in (sid, gold[0])]
        out = out[:k] + [gold[0]] + out[k:N_RETRIEVED - 1]
    top = rng.uniform(0.78, 0.93)
    steps = np.sort(rng.uniform(0.0, top - 0.3, N_RETRIEVED - 1))
    scores = np.round(np.concatenate([[top], top - steps]), 2).tolist()
    return [{"doc_id": d, "rank": i + 1, "score": sc}
            for i, (d, sc) in enumerate(zip(out, scores, strict=True))]


def _claims(rng: np.random.Generator, p: _Plan, k: int, retrieved: list[dict[str, Any]],
            calls: list[dict[str, Any]], s: _Slots, answer_lang: str,
            gold: list[str]) -> list[dict[str, Any]]:
    """Claims in the answer, each citing a document in the top k, a tool call, or nothing."""
    claims: list[dict[str, Any]] = []
    top = [r["doc_id"] for r in retrieved[:k]]
    citable = [d for d in top if answer_lang in DOC_BY_ID[d][0].facts]
    if not p.fails["retrieval"]:
        preferred = [d for d in citable if d in gold] or citable
    else:
        preferred = citable
    n_doc = 1 + int(rng.random() < 0.6)
    for d in preferred[:n_doc]:
        facts = DOC_BY_ID[d][0].facts[answer_lang]
        claims.append({"text": _pick(rng, facts), "support": d})
    values = s.render(answer_lang)
    for c in calls:
        if c["status"] == "ok":
            text = TOOL_CLAIMS[c["name"]][answer_lang].format(**values)
            claims.append({"text": text, "support": c["call_id"]})
    if p.fails["grounding"]:
        invented = INVENTED[p.intent][answer_lang]
        at = _int(rng, 0, len(claims) + 1)
        claims.insert(at, {"text": _pick(rng, invented), "support": None})
    if not claims:
        # Nothing to cite and nothing invented: fall back on any article the model saw.
        d = top[0]
        lang = answer_lang if answer_lang in DOC_BY_ID[d][0].facts else "en"
        claims.append({"text": DOC_BY_ID[d][0].facts[lang][0], "support": d})
    return claims


@functools.cache
def _score_options(bar: float, passed: bool) -> tuple[tuple[float, ...], np.ndarray]:
    """Rubric scores (means of four 1-5 criteria: quarter points) and their cumulative
    weights: passes peak around 4.25, fails around 2.5-3."""
    grid = np.arange(1.0, 5.01, 0.25)
    if passed:
        options = grid[grid >= bar]
        w = np.exp(-0.5 * ((options - 4.3) / 0.55) ** 2)
    else:
        options = grid[grid < bar]
        w = np.exp(-0.5 * ((options - 2.7) / 0.8) ** 2)
    return tuple(float(x) for x in options), np.cumsum(w) / w.sum()


def _write_trace(rng: np.random.Generator, p: _Plan, trace_id: str, when: dt.datetime,
                 public: dict[str, Any], hidden: dict[str, Any]) -> dict[str, Any]:
    k, bar = int(public["k"]), float(public["score_bar"])
    lang = p.lang
    s = _slots(rng, lang, when)
    queries = QUERIES[p.intent][lang]
    query = _pick(rng, queries).format(**s.values)
    if "offer_human_handoff" in p.violations:
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
    if (p.first != "tool" and p.reaction == "escalated" and rng.random() < 0.25
            and "offer_human_handoff" not in p.violations):
        names.append("handoff_to_human")
        status.append("ok")
    calls = [_tool_call(rng, n, i + 1, st, s) for i, (n, st) in enumerate(
        zip(names, status, strict=True))]

    # retrieval
    primary, second = gold_docs(p.intent, lang)
    gold = [primary] + ([second] if second and rng.random() < hidden["two_gold_rate"] else [])
    retrieved = _retrieved(rng, p, k, gold, hidden)

    # answer
    answer_lang = "en" if "reply_in_user_language" in p.violations else lang
    claims = _claims(rng, p, k, retrieved, calls, s, answer_lang, gold)
    parts = [_pick(rng, OPENERS[answer_lang])]
    if p.tool_kind == "error":
        parts.append(TOOL_APOLOGY[answer_lang])
    parts += [c["text"] for c in claims]
    for v in p.violations:
        if v in VIOLATION_TEXT:
            slug = SECTION_SLUG[DOC_BY_ID[primary][0].section]
            parts.append(VIOLATION_TEXT[v][answer_lang].format(slug=slug, card=s.values["card"]))
    parts.append(_pick(rng, CLOSERS[answer_lang]))
    answer = " ".join(x for x in parts if x)

    # rubric, latency, usage
    options, cumulative = _score_options(bar, p.rubric_pass)
    score = options[min(int(np.searchsorted(cumulative, rng.random(), side="right")),
                        len(options) - 1)]
    comments = RUBRIC_PASS_COMMENTS if p.rubric_pass else RUBRIC_FAIL_COMMENTS
    llm_ms = rng.lognormal(np.log(1900), 0.4) * (1 + 0.25 * len(claims))
    if rng.random() < 0.04:
        llm_ms += rng.exponential(6000)  # provider hiccups: the tail
    latency = int(_int(rng, 60, 240) + sum(c["latency_ms"] for c in calls) + llm_ms)
    locale = _pick(rng, LOCALES[lang])
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return {
        "trace_id": trace_id,
        "started_at": stamp,
        "session_id": f"ses_{_int(rng, 0, 2**40):010x}",
        "agent_version": p.version,
        "model": MODEL,
        "channel": _weighted(rng, CHANNELS),
        "locale": locale,
        "intent": p.intent,
        "query": query,
        "retrieved": retrieved,
        "gold_doc_ids": gold,
        "tool_calls": calls,
        "answer": answer,
        "claims": claims,
        "instruction_violations": list(p.violations),
        "rubric_score": score,
        "rubric_comment": _pick(rng, comments),
        "reaction": p.reaction,
        "latency_ms": latency,
        "usage": {"prompt_tokens": 850 + 310 * k + _int(rng, 0, 400),
                  "completion_tokens": int(len(answer) / 3.6) + _int(rng, 0, 25)},
    }


def _help_center(week_start: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for doc_id, a, lang in DOCS:
        age = _int(rng, 500, 800) if a.archived else _int(rng, 12, 400)
        rows.append({
            "doc_id": doc_id,
            "language": lang,
            "title": a.title[lang],
            "section": a.section,
            "status": "archived" if a.archived else "published",
            "updated_at": (week_start - dt.timedelta(days=age)).isoformat(),
            "url": f"https://help.tidewell.com/{lang}/articles/{a.number}",
            "body": " ".join(a.facts[lang]),
        })
    return pd.DataFrame(rows)


def _tools_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"tool": name, "kind": kind, "intents": "|".join(intents), "description": text}
        for name, (intents, kind, text) in TOOLS.items()
    ])


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The variant's data files. Pure: writes nothing; deterministic given the rng."""
    hidden, public = params["hidden"], params["public"]
    plans: list[_Plan] = []
    ids: list[str] = []
    for _ in range(60):
        plans = _plans(rng, hidden)
        ids = [""] * len(plans)
        _place_w2(rng, hidden, plans, ids)
        if _plant_visible(hidden, plans):
            break
    reserved = set(hidden["w2_roles"])
    for i in range(len(ids)):
        while not ids[i]:
            tid = _trace_id(rng)
            if tid not in reserved:
                ids[i] = tid
                reserved.add(tid)
    start = dt.datetime.fromisoformat(hidden["week_start"])
    traces = [
        _write_trace(rng, p, tid, start + dt.timedelta(hours=p.hour), public, hidden)
        for p, tid in zip(plans, ids, strict=True)
    ]
    # "At or above the bar" must matter: a few passed-but-unhappy traces sit right on it.
    bar = float(public["score_bar"])
    slipped = [t for t in traces if t["rubric_score"] >= bar
               and t["reaction"] in ("down", "escalated")]
    if sum(t["rubric_score"] == bar for t in slipped) < 2:
        for t in slipped[:2]:
            t["rubric_score"] = bar
    return {
        "traces.jsonl": pd.DataFrame(traces),
        "help_center.jsonl": _help_center(start.date(), rng),
        "tools.csv": _tools_frame(),
    }
