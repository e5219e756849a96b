"""cost-quality: API usage logs, a paired eval and voice turns, with per-variant plants.

The company is Ledgerly, accounting software for freelancers, small businesses and
accounting firms. Its assistant, Ledgerly Copilot, runs agentic tasks (reconcile a bank
feed, categorise expenses, chase unpaid invoices, answer a tax question, draft the
month-end report) on one of two model tiers. For two weeks a share of production tasks
ran on the premium tier. Separately, Ledgerly Voice (the phone line) ran an A/B test of
a second tool call per turn.

What is planted (all of it drawn from the rng, see ``sample_parameters``):

- the premium win on the paired eval: its size, and whether the exact McNemar test
  finds it significant (in about 40% of variants it does not);
- the two customer segments where premium really helps, one or two (the busiest among
  them) where it is worse, beside an easy segment (highest premium accuracy) and a hard
  one (lowest standard accuracy): the best segment router under the cost cap (Q7) beats
  premium-only on production traffic at a fraction of its cost;
- caching that follows the prompt's structure and the clock: a shared prefix, entries
  that expire after the price book's TTL when a step waits for the customer, and one or
  two workflows whose template puts the account snapshot first, so caching costs them
  more than it saves (Q8) while it saves money overall;
- the cascade's cheapest tau, three eval items or more clear of the margin either way;
- fewer calls per task (fan-out) on premium, and more on tasks that are not resolved;
- how heavy the latency tail of the two-call voice arm is: light in about 55% of
  variants (the second call can then win on turns that succeed within the budget),
  heavy in the rest.
"""

import datetime as dt
import functools
import itertools
import math
import string
from typing import Any

import numpy as np
import pandas as pd

TIERS = ("standard", "premium")
MODELS = {"standard": "kestrel-lite-2026-07", "premium": "kestrel-max-2026-07"}
SEGMENTS = ("freelancer", "small_business", "mid_market", "enterprise", "accounting_firm",
            "nonprofit")
WORKFLOWS = ("bank_reconciliation", "expense_categorization", "invoice_chasing",
             "tax_question", "month_end_report")
LANGUAGES = ("en", "es", "de", "fr", "pt")
STOP_REASONS = ("end_turn", "max_tokens", "tool_use", "rate_limited", "overloaded", "api_error")
BUDGET_CHOICES = (1800, 2000, 2200, 2500)
MARGIN_PTS_CHOICES = (0.5, 0.75, 1.0)
ROUTER_CAP_CHOICES = (0.35, 0.4, 0.45, 0.5)
TAU_GRID = tuple(round(i * 0.05, 2) for i in range(1, 21))

# Production mix: freelancers and small businesses are most of the traffic.
PROD_SEGMENT_SHARE = np.array([0.30, 0.34, 0.14, 0.05, 0.12, 0.05])
WORKFLOW_SHARE = np.array([0.28, 0.30, 0.18, 0.14, 0.10])
WORKFLOW_RESOLUTION_SHIFT = np.array([-0.04, 0.06, 0.02, -0.02, -0.08])
# Per workflow: how many more steps than average a task takes, and how often a step waits
# for the customer (confirm a match, approve a reminder draft, sign off an adjustment).
WORKFLOW_FANOUT = np.array([1.35, 0.85, 0.95, 0.5, 1.5])
WORKFLOW_USER_WAIT = np.array([0.10, 0.04, 0.22, 0.03, 0.15])
# Ledgerly serves these markets; the eval oversamples non-English a little.
EVAL_LANGUAGE_SHARE = np.array([0.62, 0.13, 0.10, 0.09, 0.06])

# Price books a vendor might publish (USD per million tokens): standard in, standard out,
# premium in, premium out.
PRICE_BOOKS = (
    (0.50, 2.50, 5.00, 25.00),
    (0.80, 4.00, 6.00, 30.00),
    (0.40, 1.60, 3.00, 15.00),
    (0.30, 1.20, 2.50, 10.00),
    (0.25, 1.25, 2.00, 10.00),
    (0.15, 0.60, 1.25, 5.00),
)

HOUR_WEIGHTS = np.array([0.3, 0.25, 0.2, 0.2, 0.25, 0.4, 0.8, 1.4, 2.2, 2.8, 3.0, 3.0, 2.9, 3.1,
                         3.4, 3.5, 3.3, 3.0, 2.6, 2.1, 1.6, 1.1, 0.7, 0.45])

# ---------------------------------------------------------------------------------------
# Text bank: eval queries (per workflow and language) and voice utterances (per locale).
# Slots: {vendor} {amount} {month} {invoice} {client} {n}.
# ---------------------------------------------------------------------------------------

QUERIES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "bank_reconciliation": (
            "Match the {amount} deposit on {month} 14 to the right invoice, there are two from "
            "{client} for that amount.",
            "Reconcile the {month} Chase feed, {n} transactions are still unmatched.",
            "Why is the Stripe payout of {amount} showing as unreconciled? The fees were "
            "split out.",
        ),
        "expense_categorization": (
            "Categorize the {vendor} charge of {amount}, is it software or office supplies?",
            "Split the {vendor} receipt: part is meals with a client, part is travel.",
            "Recategorize all {vendor} expenses since {month} as cost of goods sold.",
        ),
        "invoice_chasing": (
            "Draft a polite reminder to {client} about invoice {invoice}, {n} days overdue.",
            "{client} says they paid {invoice} but I don't see it. What should I send them?",
            "Set up a reminder sequence for invoices over 30 days late, but skip {client}.",
        ),
        "tax_question": (
            "Can I deduct the {vendor} subscription if I also use it personally?",
            "Do I need to charge sales tax to {client} in another state for consulting work?",
            "What's the mileage deduction for {month} and how do I log it?",
        ),
        "month_end_report": (
            "Build the {month} P&L by class and flag anything that moved more than 20%.",
            "Summarize cash flow for {month} for the board, in plain English.",
            "Why did gross margin drop in {month}? Break it down by product line.",
        ),
    },
    "es": {
        "bank_reconciliation": (
            "Concilia el ingreso de {amount} del 14 de {month} con la factura correcta, hay "
            "dos de {client} por ese importe.",
            "Quedan {n} movimientos sin conciliar en el extracto de {month}, ¿me ayudas?",
        ),
        "expense_categorization": (
            "¿En qué categoría va el cargo de {vendor} por {amount}?",
            "Divide el ticket de {vendor}: una parte es comida con cliente y otra viaje.",
        ),
        "invoice_chasing": (
            "Redacta un recordatorio amable para {client} por la factura {invoice}, lleva {n} "
            "días vencida.",
            "{client} dice que ya pagó la {invoice} pero no la veo cobrada.",
        ),
        "tax_question": (
            "¿Puedo deducir la suscripción de {vendor} si también la uso en casa?",
            "¿Tengo que aplicar IVA a {client}? Es un cliente de Portugal.",
        ),
        "month_end_report": (
            "Prepara la cuenta de resultados de {month} y marca las partidas que cambiaron "
            "más de un 20%.",
            "Resume el flujo de caja de {month} para los socios.",
        ),
    },
    "de": {
        "bank_reconciliation": (
            "Ordne die Gutschrift über {amount} vom 14. {month} der richtigen Rechnung zu, "
            "es gibt zwei von {client}.",
            "Im Kontoauszug {month} sind noch {n} Buchungen offen. Bitte abgleichen.",
        ),
        "expense_categorization": (
            "Wie buche ich die {vendor}-Rechnung über {amount}, Software oder Büromaterial?",
            "Bitte den Beleg von {vendor} aufteilen: Bewirtung und Reisekosten.",
        ),
        "invoice_chasing": (
            "Schreib eine freundliche Zahlungserinnerung an {client} für Rechnung {invoice}, "
            "seit {n} Tagen fällig.",
            "{client} sagt, {invoice} sei bezahlt, ich sehe aber keinen Zahlungseingang.",
        ),
        "tax_question": (
            "Kann ich das {vendor}-Abo absetzen, wenn ich es auch privat nutze?",
            "Muss ich bei {client} in Österreich Umsatzsteuer ausweisen?",
        ),
        "month_end_report": (
            "Erstelle die GuV für {month} und markiere Abweichungen über 20%.",
            "Fasse den Cashflow im {month} für die Geschäftsführung zusammen.",
        ),
    },
    "fr": {
        "bank_reconciliation": (
            "Rapproche le virement de {amount} du 14 {month} avec la bonne facture, il y en a "
            "deux de {client}.",
            "Il reste {n} opérations non rapprochées sur le relevé de {month}.",
        ),
        "expense_categorization": (
            "Dans quelle catégorie classer la dépense {vendor} de {amount} ?",
            "Ventile le ticket {vendor} : une partie repas client, une partie déplacement.",
        ),
        "invoice_chasing": (
            "Rédige une relance courtoise pour {client}, facture {invoice}, en retard de {n} "
            "jours.",
            "{client} affirme avoir payé la {invoice}, je ne vois rien sur le compte.",
        ),
        "tax_question": (
            "Puis-je déduire l'abonnement {vendor} si je l'utilise aussi à titre perso ?",
            "Dois-je facturer la TVA à {client}, un client en Belgique ?",
        ),
        "month_end_report": (
            "Prépare le compte de résultat de {month} et signale les écarts de plus de 20 %.",
            "Résume la trésorerie de {month} pour l'associé.",
        ),
    },
    "pt": {
        "bank_reconciliation": (
            "Concilie o depósito de {amount} do dia 14 de {month} com a fatura certa, há duas "
            "da {client}.",
            "Ainda faltam {n} lançamentos para conciliar no extrato de {month}.",
        ),
        "expense_categorization": (
            "Em que categoria entra a despesa da {vendor} de {amount}?",
            "Separa o recibo da {vendor}: parte é almoço com cliente, parte é viagem.",
        ),
        "invoice_chasing": (
            "Escreve um lembrete educado para a {client} sobre a fatura {invoice}, vencida há "
            "{n} dias.",
            "A {client} diz que pagou a {invoice} mas não vejo o pagamento.",
        ),
        "tax_question": (
            "Posso deduzir a assinatura da {vendor} se também uso em casa?",
            "Preciso cobrar IVA da {client}, que é um cliente em Espanha?",
        ),
        "month_end_report": (
            "Monta a DRE de {month} e marca o que variou mais de 20%.",
            "Resume o fluxo de caixa de {month} para os sócios.",
        ),
    },
}

# Around a request: how people open and close a message to the assistant.
OPENERS = {
    "en": ("", "", "", "Hi, ", "Quick one: ", "Hey, ", "Can you help? ", "Morning! ",
           "Sorry if this is obvious: "),
    "es": ("", "", "", "Hola, ", "Una pregunta: ", "Buenas, ", "Oye, "),
    "de": ("", "", "", "Hallo, ", "Kurze Frage: ", "Moin, ", "Bitte: "),
    "fr": ("", "", "", "Bonjour, ", "Petite question : ", "Salut, "),
    "pt": ("", "", "", "Olá, ", "Uma dúvida: ", "Oi, ", "Bom dia, "),
}
CLOSERS = {
    "en": ("", "", "", " Thanks!", " Thank you.", " Need it by Friday.", " Keep it short please.",
           " My accountant is asking.", " ty"),
    "es": ("", "", "", " Gracias.", " ¡Gracias!", " Lo necesito para el viernes.",
           " Lo pide mi gestor."),
    "de": ("", "", "", " Danke!", " Danke dir.", " Brauche das bis Freitag.",
           " Mein Steuerberater fragt."),
    "fr": ("", "", "", " Merci !", " Merci d'avance.", " C'est pour vendredi.",
           " Mon comptable le demande."),
    "pt": ("", "", "", " Obrigado!", " Valeu.", " Preciso até sexta.", " O contador pediu."),
}

MONTHS = {
    "en": ("June", "July", "August", "September"),
    "es": ("junio", "julio", "agosto", "septiembre"),
    "de": ("Juni", "Juli", "August", "September"),
    "fr": ("juin", "juillet", "août", "septembre"),
    "pt": ("junho", "julho", "agosto", "setembro"),
}
VENDORS = ("AWS", "Figma", "Staples", "Uber", "Shell", "WeWork", "Adobe", "Deutsche Bahn",
           "Mercadona", "SNCF", "Notion", "Zoom", "Lufthansa", "Canva")
CLIENTS = ("Brightline Dental", "Okafor & Sons", "Nordlicht GmbH", "Café Lumière",
           "Pereira Arquitetos", "Acme Studio", "Hollis Legal", "Verde Vivo SL", "Kinetic Labs",
           "Maison Roux")

UTTERANCES: dict[str, tuple[str, ...]] = {
    "en-US": (
        "hi yeah I'm calling about invoice {invoice}, did it get paid",
        "what's my balance with {client}",
        "can you tell me when the last payment from {client} came in",
        "I need to change the due date on {invoice}",
        "why was I charged {amount} this month",
        "is the {month} statement for {client} ready yet",
        "did {client} pay the {amount} they owe me",
        "can you resend invoice {invoice} to {client}",
        "how many of the invoices to {client} are overdue right now",
        "I think {invoice} was paid twice, can you check",
        "when does the {amount} payout hit my bank",
        "what's the total I invoiced {client} in {month}",
    ),
    "en-GB": (
        "hiya, has {client} paid invoice {invoice} yet",
        "could you check the VAT on invoice {invoice} please",
        "what do I owe on the account for {month}",
        "has the {amount} from {client} cleared",
        "can you move the due date on {invoice} to the end of {month}",
        "which invoices are still outstanding for {client}",
    ),
    "es-US": (
        "hola, llamo por la factura {invoice}, ¿ya está pagada?",
        "¿cuánto me debe {client}?",
        "quiero cambiar la fecha de vencimiento de la {invoice}",
        "¿me puede reenviar la factura {invoice}?",
        "¿cuándo llega el depósito de {amount}?",
        "¿ya pagó {client} los {amount}?",
    ),
    "de-DE": (
        "hallo, ist die Rechnung {invoice} schon bezahlt",
        "wie hoch ist der offene Betrag bei {client}",
        "können Sie mir den Kontoauszug für {month} schicken, es geht um {client}",
        "hat {client} die {amount} schon überwiesen",
        "bitte die Rechnung {invoice} noch mal an {client} schicken",
        "welche Rechnungen von {client} sind gerade überfällig",
    ),
    "fr-FR": (
        "bonjour, la facture {invoice} a été réglée ?",
        "combien me doit {client} en ce moment",
        "je voudrais décaler l'échéance de la {invoice}",
        "est-ce que {client} a payé les {amount}",
        "vous pouvez renvoyer la facture {invoice} à {client}",
        "quelles factures de {client} sont en retard",
    ),
}
# Turns that need no tool: greetings, thanks, goodbyes.
SMALL_TALK: dict[str, tuple[str, ...]] = {
    "en-US": ("thanks that's all", "ok thank you", "no that's it, bye", "great thanks",
              "hello?", "yeah hi", "perfect, thanks so much", "nope, all good"),
    "en-GB": ("cheers, that's everything", "lovely, thanks", "no that's all, ta", "hello?"),
    "es-US": ("gracias, eso es todo", "muchas gracias", "no, nada más", "¿hola?", "perfecto"),
    "de-DE": ("danke, das war's", "super, danke", "nein, das ist alles", "hallo?"),
    "fr-FR": ("merci, c'est tout", "parfait, merci", "non, c'est bon", "allô ?"),
}
# How callers start a request (often with nothing).
FILLERS: dict[str, tuple[str, ...]] = {
    "en-US": ("", "", "", "um ", "uh ", "yeah ", "so ", "okay so ", "hi, "),
    "en-GB": ("", "", "", "um ", "right, ", "yeah ", "hi, "),
    "es-US": ("", "", "", "eh ", "oiga, ", "a ver, ", "sí, "),
    "de-DE": ("", "", "", "äh ", "also ", "ja, ", "gut, "),
    "fr-FR": ("", "", "", "euh ", "alors ", "oui, ", "bon, "),
}
LOCALE_SHARE = {"en-US": 0.58, "en-GB": 0.14, "es-US": 0.14, "de-DE": 0.08, "fr-FR": 0.06}
# How each language writes an amount: (before, thousands separator, decimal mark, after).
MONEY_STYLE = {"en": ("$", ",", ".", ""), "es": ("", ".", ",", " €"), "de": ("", ".", ",", " €"),
               "fr": ("", ".", ",", " €"), "pt": ("R$ ", ".", ",", ""),
               "en-US": ("$", ",", ".", ""), "en-GB": ("£", ",", ".", ""),
               "es-US": ("$", ",", ".", ""), "de-DE": ("", ".", ",", " €"),
               "fr-FR": ("", ".", ",", " €")}


def _round(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _money(value: float, lang: str) -> str:
    money, swap = _MONEY_FORMAT[lang]
    return money.format(value).translate(swap)


# Each language's amount as one format and the separators to swap after it.
_MONEY_FORMAT = {lang: (before.replace("{", "{{") + "{:,.2f}" + after,
                        str.maketrans({",": thousands, ".": mark}))
                 for lang, (before, thousands, mark, after) in MONEY_STYLE.items()}


# Every template is compiled once, at import, to a %-pattern and the slots it fills, in
# order; a batch of texts is then filled one template at a time.
_SLOT_PATTERN = {"vendor": "%s", "amount": "%s", "month": "%s", "invoice": "INV-%d",
                 "client": "%s", "n": "%d"}
_PATTERNS: list[tuple[str, tuple[str, ...], str]] = []  # (pattern, slots, language)
_PATTERN_ID: dict[tuple[str, str], int] = {}


def _pattern_id(template: str, lang: str) -> int:
    """The id of ``template`` (in ``lang``), compiled on first use."""
    key = (template, lang)
    if key not in _PATTERN_ID:
        parts, slots = [], []
        for literal, field, _, _ in string.Formatter().parse(template):
            parts.append(literal.replace("%", "%%"))
            if field is not None:
                parts.append(_SLOT_PATTERN[field])
                slots.append(field)
        _PATTERN_ID[key] = len(_PATTERNS)
        _PATTERNS.append(("".join(parts), tuple(slots), lang))
    return _PATTERN_ID[key]


def _id_table(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Ragged lists of ids as a padded table and the length of each row."""
    table = np.zeros((len(rows), max(len(r) for r in rows)), dtype=np.int64)
    for i, r in enumerate(rows):
        table[i, :len(r)] = r
    return table, np.array([len(r) for r in rows])


def _padded(rows: list[tuple[str, ...]]) -> np.ndarray:
    """Ragged lists of texts as an object table padded with ""."""
    width = max(len(r) for r in rows)
    return np.array([list(r) + [""] * (width - len(r)) for r in rows], dtype=object)


# Eval queries by (language, workflow); each one's form after an opener that ends in ", "
# or ": " (its first letter lower-cased, unless it starts with a slot).
_QUERY_IDS, _QUERY_COUNT = _id_table([
    [_pattern_id(t, lang) for t in QUERIES[lang][wf]] for lang in LANGUAGES for wf in WORKFLOWS])
_LOWERED = np.array([i if text.startswith("{") else _pattern_id(text[0].lower() + text[1:], lang)
                     for i, (text, lang) in enumerate(list(_PATTERN_ID))])
_OPENER_TEXT = _padded([OPENERS[lang] for lang in LANGUAGES])
_OPENER_COUNT = np.array([len(OPENERS[lang]) for lang in LANGUAGES])
_OPENER_LOWERS = np.array([[o.endswith((", ", ": ")) for o in row] for row in _OPENER_TEXT])
_CLOSER_TEXT = _padded([CLOSERS[lang] for lang in LANGUAGES])
_CLOSER_COUNT = np.array([len(CLOSERS[lang]) for lang in LANGUAGES])
# Voice turns by locale: requests (after a filler) and small talk.
_LOCALES = tuple(LOCALE_SHARE)
_UTTERANCE_IDS, _UTTERANCE_COUNT = _id_table([[_pattern_id(t, loc) for t in UTTERANCES[loc]]
                                              for loc in _LOCALES])
_TALK_IDS, _TALK_COUNT = _id_table([[_pattern_id(t, loc) for t in SMALL_TALK[loc]]
                                    for loc in _LOCALES])
_FILLER_TEXT = _padded([FILLERS[loc] for loc in _LOCALES])
_FILLER_COUNT = np.array([len(FILLERS[loc]) for loc in _LOCALES])
_VENDOR_TEXT = np.array(VENDORS, dtype=object)
_CLIENT_TEXT = np.array(CLIENTS, dtype=object)
_MONTH_TEXT = {lang: np.array(MONTHS.get(lang[:2], MONTHS["en"]), dtype=object)
               for lang in (*LANGUAGES, *_LOCALES)}


def _pick(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """A uniform index below each of ``counts``."""
    return (rng.random(len(counts)) * counts).astype(np.int64)


def _fill_all(rng: np.random.Generator, ids: np.ndarray, before: np.ndarray | None = None,
              after: np.ndarray | None = None) -> np.ndarray:
    """Fill every template's slots (``ids`` index ``_PATTERNS``), each text between its
    ``before`` and ``after`` (object arrays of str, or none); the random draws are made
    in bulk, the texts one template at a time. An object array of str."""
    n = len(ids)
    vendor = rng.integers(0, len(VENDORS), n)
    client = rng.integers(0, len(CLIENTS), n)
    month = rng.integers(0, 4, n)
    invoice = rng.integers(1000, 9999, n)
    count = rng.integers(3, 95, n)
    amount = np.round(np.exp(rng.normal(5.5, 1.1, n)), 2)
    order = np.argsort(ids, kind="stable")
    bounds = [0, *(np.flatnonzero(np.diff(ids[order])) + 1).tolist(), n]
    texts: list[str] = []
    for lo, hi in itertools.pairwise(bounds):
        rows = order[lo:hi]
        pattern, slots, lang = _PATTERNS[int(ids[rows[0]])]
        columns: list[list[Any]] = []
        if before is not None:
            pattern = "%s" + pattern
            columns.append(before[rows].tolist())
        for slot in slots:
            if slot == "vendor":
                columns.append(_VENDOR_TEXT[vendor[rows]].tolist())
            elif slot == "client":
                columns.append(_CLIENT_TEXT[client[rows]].tolist())
            elif slot == "month":
                columns.append(_MONTH_TEXT[lang][month[rows]].tolist())
            elif slot == "invoice":
                columns.append(invoice[rows].tolist())
            elif slot == "n":
                columns.append(count[rows].tolist())
            else:
                money, swap = _MONEY_FORMAT[lang]
                columns.append([money.format(v).translate(swap)
                                for v in amount[rows].tolist()])
        if after is not None:
            pattern = pattern + "%s"
            columns.append(after[rows].tolist())
        if columns:
            texts += [pattern % args for args in zip(*columns, strict=True)]
        else:
            texts += [pattern % ()] * (hi - lo)
    out = np.empty(n, dtype=object)
    out[order] = texts
    return out


def _queries(rng: np.random.Generator, lang: np.ndarray, wf: np.ndarray, pick: np.ndarray
             ) -> np.ndarray:
    """Eval queries: a template of the item's language and workflow, with an opener and a
    closer in that language (often none)."""
    cell = lang * len(WORKFLOWS) + wf
    ids = _QUERY_IDS[cell, (pick * _QUERY_COUNT[cell]).astype(np.int64)]
    opener = _pick(rng, _OPENER_COUNT[lang])
    closer = _pick(rng, _CLOSER_COUNT[lang])
    ids = np.where(_OPENER_LOWERS[lang, opener], _LOWERED[ids], ids)
    return _fill_all(rng, ids, _OPENER_TEXT[lang, opener], _CLOSER_TEXT[lang, closer])


_ID_ALPHABET = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _text_rows(chars: np.ndarray) -> np.ndarray:
    """An (n, width) array of code points as n strings of that width."""
    return np.ascontiguousarray(chars, dtype=np.uint32).view(f"U{chars.shape[1]}").ravel()


def _ids(rng: np.random.Generator, prefix: str, n: int, length: int) -> np.ndarray:
    """Random base62 ids, unique (an array of str)."""
    digits = rng.integers(0, 62, size=(n, length), dtype=np.int16)
    # Unique on their first ten digits (six bits each), or else on all of them.
    head = np.zeros(n, dtype=np.int64)
    for i in range(min(10, length)):
        head |= digits[:, i].astype(np.int64) << (6 * i)
    head.sort()
    assert (head[1:] != head[:-1]).all() or len({r.tobytes() for r in digits}) == n
    chars = np.empty((n, len(prefix) + length), dtype=np.uint32)
    chars[:, :len(prefix)] = [ord(ch) for ch in prefix]
    chars[:, len(prefix):] = _ID_ALPHABET[digits]
    return _text_rows(chars)


_DIGIT = np.uint32(ord("0"))


def _iso_ms(stamps: np.ndarray) -> np.ndarray:
    """Epoch milliseconds -> ISO 8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)."""
    stamps = np.asarray(stamps, dtype=np.int64)
    day, ms = np.divmod(stamps, 86_400_000)
    first = int(day.min()) if len(day) else 0
    # The few distinct dates, written once each.
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1 if len(day) else first)
                                  .astype("datetime64[D]"))
    chars = np.empty((len(stamps), 24), dtype=np.uint32)
    chars[:, :10] = dates.astype("U10")[:, None].view(np.uint32).reshape(-1, 10)[day - first]
    fields = (ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60)
    for at, value in zip((11, 14, 17), fields, strict=True):
        chars[:, at] = _DIGIT + value // 10
        chars[:, at + 1] = _DIGIT + value % 10
    millis = ms % 1000
    chars[:, 20] = _DIGIT + millis // 100
    chars[:, 21] = _DIGIT + millis // 10 % 10
    chars[:, 22] = _DIGIT + millis % 10
    chars[:, 10], chars[:, [13, 16]], chars[:, 19], chars[:, 23] = (
        ord("T"), ord(":"), ord("."), ord("Z"))
    return _text_rows(chars)


def _labels(names: tuple[str, ...] | np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """The name of each code (a categorical: the file holds the names)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def _start_times(rng: np.random.Generator, start: dt.datetime, days: int, n: int) -> np.ndarray:
    """Epoch ms: weekdays busier than weekends, a daytime peak in UTC (US and EU)."""
    day_w = np.array([0.35 if (start + dt.timedelta(days=d)).weekday() >= 5 else 1.0
                      for d in range(days)])
    day = rng.choice(days, n, p=day_w / day_w.sum())
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    ms = rng.integers(0, 3_600_000, n)
    base = int(start.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    return np.sort(base + day * 86_400_000 + hour * 3_600_000 + ms)


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------


def sample_parameters(rng: np.random.Generator) -> dict[str, Any]:
    """The variant's public and hidden parameters. See the module docstring."""
    significant = bool(rng.random() < 0.6)
    # A win that is not significant is small: its margin is one of the smaller two, so
    # that standard alone stays clearly outside it.
    margins = MARGIN_PTS_CHOICES if significant else MARGIN_PTS_CHOICES[:2]
    public = {
        "budget_ms": int(rng.choice(BUDGET_CHOICES)),
        "cascade_margin_pts": float(rng.choice(margins)),
        "router_cost_cap": float(rng.choice(ROUTER_CAP_CHOICES)),
    }
    s_in, s_out, p_in, p_out = PRICE_BOOKS[int(rng.integers(len(PRICE_BOOKS)))]
    # A 5-minute cache writes at 1.25x; a 1-hour cache at 2x.
    write_multiplier = float(rng.choice([1.25, 1.25, 2.0]))
    fan_s = _round(rng.uniform(2.6, 3.6))
    start = dt.date(2026, 9, 7) + dt.timedelta(days=7 * int(rng.integers(0, 6)))
    light_tail = bool(rng.random() < 0.55)
    # One or two workflows whose prompt template puts the customer's account snapshot
    # above the shared instructions: the snapshot is refreshed on most steps, and every
    # refresh rewrites the whole prompt into the cache.
    if rng.random() < 0.6:
        broken = [str(rng.choice(WORKFLOWS))]
    else:  # two of the smaller workflows: together at most a third of the traffic
        pairs = [(a, b) for a in range(5) for b in range(a + 1, 5)
                 if WORKFLOW_SHARE[a] + WORKFLOW_SHARE[b] <= 0.33]
        pair = pairs[int(rng.integers(len(pairs)))]
        broken = [WORKFLOWS[i] for i in pair]
    # The production mix, and the two segments premium helps: together they fit under
    # the router's cost cap (standard costs 10-24% of premium per task).
    cap = float(public["router_cost_cap"])
    fits = (cap - 0.24) / 0.76 - 0.02
    while True:
        seg_order = [str(s) for s in rng.permutation(SEGMENTS)]
        shares = rng.dirichlet(PROD_SEGMENT_SHARE * 60)
        shares = shares / shares.sum()
        first, second = (shares[SEGMENTS.index(s)] for s in seg_order[:2])
        # Every segment is a real share of traffic, the second helped one enough that
        # routing it is visibly worth its cost.
        if first + second < fits and second >= 0.04 and shares.min() >= 0.025:
            break
    # Premium is worse on one or two of the other segments, among them the busiest in
    # production: on production traffic premium-only gains less than the eval says.
    others = sorted(seg_order[2:], key=lambda s: -shares[SEGMENTS.index(s)])
    hurt = [others[0]] + ([str(rng.choice(others[1:]))] if rng.random() < 0.5 else [])
    rest = [s for s in seg_order[2:] if s not in hurt]
    hidden: dict[str, Any] = {
        "start_date": start.isoformat(),
        "n_tasks": int(rng.integers(3400, 4001)),
        "premium_share": _round(rng.uniform(0.15, 0.30)),
        "segment_share": [_round(x) for x in shares],
        "prices": {
            "standard": {"input": s_in, "output": s_out},
            "premium": {"input": p_in, "output": p_out},
            "cache_write_multiplier": write_multiplier,
            "cache_read_multiplier": float(rng.choice([0.1, 0.1, 0.25])),
            "cache_ttl_s": 300 if write_multiplier < 1.5 else 3600,
        },
        "prefix_tokens": int(rng.integers(4000, 11001)),
        "snapshot_first_workflows": sorted(broken),
        "snapshot_refresh": _round(rng.uniform(0.85, 0.97)),
        "legacy_uncached_share": _round(rng.uniform(0.03, 0.10)),
        "fanout_mean": {"standard": fan_s, "premium": _round(fan_s * rng.uniform(0.62, 0.82))},
        "resolution": {"standard": _round(rng.uniform(0.56, 0.66))},
        "error_rate": _round(rng.uniform(0.004, 0.015)),
        "eval": {
            "n_items": int(rng.integers(1400, 2201)),
            "helped_segment": seg_order[0],
            "also_segment": seg_order[1],
            "hurt_segments": hurt,
            "hard_segment": rest[0],
            "easy_segment": rest[1],
            "base_accuracy": _round(rng.uniform(0.78, 0.84)),
            "helped_accuracy": _round(rng.uniform(0.58, 0.66)),
            "helped_fix_share": _round(rng.uniform(0.45, 0.60)),
            "also_fix_share": _round(rng.uniform(0.18, 0.28)),
            "hurt_break_share": _round(rng.uniform(0.25, 0.40)),
            "discordant_rate": _round(rng.uniform(0.13, 0.22) if significant
                                      else rng.uniform(0.17, 0.24)),
            "significant": significant,
            "p_range": [0.005, 0.045] if significant else [0.07, 0.6],
        },
        "voice": {
            "n_sessions": int(rng.integers(2200, 2801)),
            "one_call_median_ms": _round(rng.uniform(620, 760), 1),
            "second_call_median_ms": _round(rng.uniform(700, 880), 1),
            # A light tail (the second call almost always returns fast) or a heavy one
            # (a slow dependency, timeouts and retries).
            "light_tail": light_tail,
            "second_call_sigma": _round(rng.uniform(0.2, 0.35) if light_tail
                                        else rng.uniform(0.45, 0.85)),
            "tail_share": _round(rng.uniform(0.005, 0.03) if light_tail
                                 else rng.uniform(0.04, 0.10)),
            "tail_scale_ms": _round(rng.uniform(1200, 3500), 1),
            "success_one_call": _round(rng.uniform(0.76, 0.84)),
            "fix_share": _round(rng.uniform(0.31, 0.37)),
        },
    }
    hidden["resolution"]["premium"] = _round(hidden["resolution"]["standard"]
                                             + rng.uniform(-0.01, 0.02))
    return {"public": public, "hidden": hidden}


# ---------------------------------------------------------------------------------------
# Usage logs
# ---------------------------------------------------------------------------------------


def _group_cumsum(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum within each run of ``counts`` rows."""
    total = np.cumsum(values)
    before = np.concatenate([[0], total])[starts]
    return total - np.repeat(before, counts)


def _price_rows(hidden: dict[str, Any]) -> pd.DataFrame:
    p = hidden["prices"]
    return pd.DataFrame({
        "tier": list(TIERS),
        "model": [MODELS[t] for t in TIERS],
        "input_usd_per_mtok": [p[t]["input"] for t in TIERS],
        "output_usd_per_mtok": [p[t]["output"] for t in TIERS],
        "cache_write_multiplier": [p["cache_write_multiplier"]] * 2,
        "cache_read_multiplier": [p["cache_read_multiplier"]] * 2,
        "cache_ttl_s": [p["cache_ttl_s"]] * 2,
        "price_book": ["2026-08-01"] * 2,
    })


def _call_costs(premium: np.ndarray, tokens: dict[str, np.ndarray], hidden: dict[str, Any],
                cached: bool = True) -> np.ndarray:
    p = hidden["prices"]
    base = np.where(premium, p["premium"]["input"], p["standard"]["input"])
    out = np.where(premium, p["premium"]["output"], p["standard"]["output"])
    w = p["cache_write_multiplier"] if cached else 1.0
    r = p["cache_read_multiplier"] if cached else 1.0
    return (base * (tokens["uncached"] + w * tokens["write"] + r * tokens["read"])
            + out * tokens["output"]) / 1e6


def _cache_step(j_tokens: dict[str, np.ndarray], first: np.ndarray, alive: np.ndarray,
                refresh: np.ndarray, broken: np.ndarray, legacy: np.ndarray, prefix: int,
                cacheable: np.ndarray, added: np.ndarray, dynamic: np.ndarray) -> None:
    """Disjoint input counters for one step of every task (``j_tokens`` is filled).

    The provider caches a prompt up to its last breakpoint and serves the longest cached
    prefix that matches exactly. A normal template starts with the workflow's shared
    instructions and tools (``prefix``), warm at this traffic, then the user's message
    and the history; a follow-up reads what the previous step cached if that entry is
    still alive (younger than the TTL) and writes only the new history. A template that
    puts the account snapshot first matches nothing across tasks, and a refreshed
    snapshot invalidates everything below it.
    """
    own = ~first & alive
    normal_read = np.where(own, cacheable - added, prefix)
    broken_read = np.where(own & ~refresh, cacheable - added, 0)
    read = np.where(broken, broken_read, normal_read)
    read = np.where(legacy, 0, read)
    write = np.where(legacy, 0, cacheable - read)
    uncached = np.where(legacy, cacheable + dynamic, dynamic)
    j_tokens["read"], j_tokens["write"], j_tokens["uncached"] = read, write, uncached


def _usage_frames(rng: np.random.Generator, hidden: dict[str, Any]
                  ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, float]:
    """tasks.csv and usage_calls.csv, the segment mix of the tasks and the standard cost
    per task over the premium one."""
    n = int(hidden["n_tasks"])
    start = dt.datetime.fromisoformat(hidden["start_date"])
    prem = rng.random(n) < float(hidden["premium_share"])
    seg = rng.choice(len(SEGMENTS), n, p=np.array(hidden["segment_share"]) / np.sum(
        hidden["segment_share"]))
    wf = rng.choice(len(WORKFLOWS), n, p=WORKFLOW_SHARE)
    helped = seg == SEGMENTS.index(hidden["eval"]["helped_segment"])
    res = hidden["resolution"]
    p_res = np.where(prem, res["premium"], res["standard"]) + WORKFLOW_RESOLUTION_SHIFT[wf]
    p_res = p_res + np.where(helped & prem, 0.08, 0.0) - np.where(helped & ~prem, 0.04, 0.0)
    # Production agrees with the eval on where premium helps and where it hurts.
    also = seg == SEGMENTS.index(hidden["eval"]["also_segment"])
    hurt = np.isin(seg, [SEGMENTS.index(s) for s in hidden["eval"]["hurt_segments"]])
    p_res = p_res + np.where(also & prem, 0.04, 0.0) - np.where(hurt & prem, 0.04, 0.0)
    resolved = rng.random(n) < p_res

    # Fan-out: 1 + a negative binomial, longer on some workflows; unresolved tasks loop
    # longer.
    fan = hidden["fanout_mean"]
    mean_extra = (np.where(prem, fan["premium"], fan["standard"]) - 1.0) * WORKFLOW_FANOUT[wf]
    shape = 1.4
    extra = rng.negative_binomial(shape, shape / (shape + mean_extra))
    extra = extra + np.where(resolved, 0, rng.geometric(0.4, n) - 1)
    calls = np.minimum(1 + extra, 40)

    task_start = _start_times(rng, start, 14, n)
    order = np.argsort(task_start, kind="stable")
    task_start = task_start[order]
    prem, resolved = prem[order], resolved[order]
    seg, wf, calls = seg[order], wf[order], calls[order]
    task_ids = _ids(rng, "task_", n, 14).astype(object)

    # --- one row per call ---
    m = int(calls.sum())
    starts = np.concatenate([[0], np.cumsum(calls)[:-1]])
    owner = np.repeat(np.arange(n), calls)
    k = np.arange(m) - np.repeat(starts, calls)
    last = k == calls[owner] - 1
    call_prem = prem[owner]
    output = np.where(last, rng.lognormal(np.log(300), 0.6, m) * np.where(call_prem, 1.25, 1.0),
                      rng.lognormal(np.log(75), 0.5, m))
    output = np.minimum(np.round(output).astype(int) + 8, 4096)
    tool_result = np.where(k == 0, 0, np.round(rng.lognormal(np.log(550), 1.0, m)).astype(int))
    tool_result = np.minimum(tool_result, 24_000)
    prev_output = np.concatenate([[0], output[:-1]])
    added = np.where(k == 0, 0, prev_output + tool_result)
    history = _group_cumsum(added, starts, calls)
    user = np.repeat(np.round(rng.lognormal(np.log(160), 0.8, n)).astype(int) + 20, calls)
    dynamic = np.repeat(rng.integers(60, 260, n), calls)
    legacy = np.repeat(rng.random(n) < float(hidden["legacy_uncached_share"]), calls)
    prefix = int(hidden["prefix_tokens"])
    broken_wf = np.isin(wf, [WORKFLOWS.index(w) for w in hidden["snapshot_first_workflows"]])
    broken = broken_wf[owner]
    snapshot = np.where(broken, np.repeat(rng.integers(300, 900, n), calls), 0)
    cacheable = snapshot + prefix + user + history
    refresh = rng.random(m) < float(hidden["snapshot_refresh"])

    # --- errors: a few calls fail (rate limit, overload) and are retried ---
    err = rng.random(m) < float(hidden["error_rate"])
    status = np.full(m, 200)
    codes = rng.choice([429, 529, 500], int(err.sum()), p=[0.6, 0.3, 0.1])
    err_latency = np.where(codes == 529, rng.integers(2000, 30000, len(codes)),
                           rng.integers(40, 400, len(codes)))
    pre = np.zeros(m, dtype=int)  # a failed attempt and the backoff before the retry
    pre[err] = err_latency + rng.integers(500, 4000, len(codes))

    # --- latency, and the time after each step: tool execution, sometimes a wait for
    # the customer (the agent asks them to confirm a match, approve a draft ...) ---
    ttft = np.where(call_prem, rng.lognormal(np.log(850), 0.35, m),
                    rng.lognormal(np.log(420), 0.35, m))
    decode = output / np.where(call_prem, 55.0, 115.0) * 1000
    tail = np.where(rng.random(m) < 0.025, (rng.pareto(1.8, m) + 1) * 1500, 0.0)
    gap = np.round(rng.lognormal(np.log(350), 0.9, m)).astype(int)
    waits = rng.random(m) < WORKFLOW_USER_WAIT[wf][owner]
    gap = gap + np.where(waits, np.round(rng.lognormal(np.log(150_000), 1.1, m)), 0).astype(int)
    gap = np.where(last, 0, gap)

    # A cache entry is alive when the previous call of the task started it less than the
    # TTL ago; how long that call took depends on what it read from the cache. Solved for
    # all calls at once and repeated until no entry changes: pass i settles every call
    # up to step i, so at most max(k) + 1 passes.
    ttl_ms = 1000 * int(hidden["prices"]["cache_ttl_s"])
    first = k == 0
    follow = np.flatnonzero(~first)
    rate = np.where(call_prem, 0.03, 0.012)
    alive = np.zeros(m, dtype=bool)
    for _ in range(int(k.max()) + 2):
        tokens: dict[str, np.ndarray] = {}
        _cache_step(tokens, first, alive, refresh | first, broken, legacy, prefix, cacheable,
                    added, dynamic)
        prefill = (tokens["uncached"] + tokens["write"]) * rate + tokens["read"] * 0.002
        latency = np.round(ttft + prefill + decode + tail).astype(int)
        settled = np.zeros(m, dtype=bool)
        settled[follow] = latency[follow - 1] + gap[follow - 1] + pre[follow] < ttl_ms
        if np.array_equal(settled, alive):
            break
        alive = settled
    tokens["output"] = output

    step_ms = latency + gap
    offset = _group_cumsum(step_ms + pre, starts, calls) - step_ms
    call_start = task_start[owner] + offset
    stop = np.where(last, np.where(output >= 4096, 1, 0), 2)  # STOP_REASONS

    # The successful calls, then the failed attempts before their retries, in time order.
    idx = np.flatnonzero(err)
    row_task = np.concatenate([owner, owner[idx]])
    created = np.concatenate([call_start, call_start[idx] - pre[idx]])
    order = np.argsort(created, kind="stable")
    row_task, created = row_task[order], created[order]
    zeros = np.zeros(len(idx), dtype=np.int64)

    def column(ok: np.ndarray, failed: np.ndarray) -> np.ndarray:
        return np.concatenate([ok, failed])[order]

    row_prem = prem[row_task]
    usage = pd.DataFrame({
        "request_id": _ids(rng, "req_", len(order), 20),
        "task_id": _labels(task_ids, row_task),
        "created_at": _iso_ms(created),
        "tier": _labels(TIERS, row_prem.astype(np.int64)),
        "model": _labels((MODELS["standard"], MODELS["premium"]), row_prem.astype(np.int64)),
        "http_status": column(status, codes),
        "uncached_input_tokens": column(tokens["uncached"], zeros),
        "cache_write_input_tokens": column(tokens["write"], zeros),
        "cache_read_input_tokens": column(tokens["read"], zeros),
        "output_tokens": column(output, zeros),
        "latency_ms": column(latency, err_latency),
        "stop_reason": _labels(STOP_REASONS, column(
            stop, np.where(codes == 429, 3, np.where(codes == 529, 4, 5)))),
    })
    tasks = pd.DataFrame({
        "task_id": task_ids,
        "created_at": _iso_ms(task_start),
        "tier": _labels(TIERS, prem.astype(np.int64)),
        "segment": _labels(SEGMENTS, seg),
        "workflow": _labels(WORKFLOWS, wf),
        "resolved": resolved,
    })
    # What the eval's plants are checked against: the production segment mix, and the
    # standard cost per task over the premium one, priced as the notebook states.
    weights = np.bincount(seg, minlength=len(SEGMENTS)) / n
    cost = _call_costs(row_prem, {"uncached": usage["uncached_input_tokens"].to_numpy(),
                                  "write": usage["cache_write_input_tokens"].to_numpy(),
                                  "read": usage["cache_read_input_tokens"].to_numpy(),
                                  "output": usage["output_tokens"].to_numpy()}, hidden)
    per_task = (np.bincount(row_prem.astype(np.int64), weights=cost, minlength=2)
                / np.bincount(prem.astype(np.int64), minlength=2))
    return tasks, usage, weights, float(per_task[0] / per_task[1])


# ---------------------------------------------------------------------------------------
# The paired eval
# ---------------------------------------------------------------------------------------

# log(k!) for every count an eval can have, for the exact binomial test without scipy.
_LOG_FACTORIAL = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, 5001)))])


@functools.cache
def _two_sided_p(d: int) -> np.ndarray:
    """min(1, 2 * P(X <= k)) for X ~ Bin(d, 1/2), for k = 0..d (computed once per d)."""
    pmf = np.exp(_LOG_FACTORIAL[d] - _LOG_FACTORIAL[:d + 1] - _LOG_FACTORIAL[d::-1]
                 - d * math.log(2))
    table = np.minimum(1.0, 2.0 * np.cumsum(pmf))
    table.flags.writeable = False
    return table


def exact_mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2), capped."""
    if b + c == 0:
        return 1.0
    return float(_two_sided_p(b + c)[min(b, c)])


def unpaired_p(pass_a: np.ndarray, pass_b: np.ndarray) -> float:
    """Two-proportion z-test with the pooled variance (the unpaired mistake)."""
    n = len(pass_a)
    pa, pb = pass_a.mean(), pass_b.mean()
    pooled = (pa + pb) / 2
    se = math.sqrt(pooled * (1 - pooled) * 2 / n)
    return float(math.erfc(abs(pb - pa) / se / math.sqrt(2)))


def _confidence_clean(values: np.ndarray) -> np.ndarray:
    """Four decimals, never on a multiple of 0.05, so grid thresholds are unambiguous."""
    c = np.round(np.clip(values, 0.03, 0.9985), 4)
    on_edge = np.abs(c * 20 - np.round(c * 20)) < 1e-9
    return np.round(np.where(on_edge, c + 0.0003, c), 4)


_TAUS = np.array(TAU_GRID)


def cascade_curve(conf: np.ndarray, pass_std: np.ndarray, pass_prem: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(accuracy, routed share) at every grid value of tau."""
    order = np.argsort(conf)
    routed = np.searchsorted(conf[order], _TAUS)  # items with conf < tau
    gain = np.concatenate([[0], np.cumsum(pass_prem[order].astype(np.int64)
                                          - pass_std[order].astype(np.int64))])
    n = len(conf)
    return (int(pass_std.sum()) + gain[routed]) / n, routed / n


def _discordant_split(rng: np.random.Generator, d: int, n: int, p_range: list[float],
                      min_gain: float) -> tuple[int, int] | None:
    """(b, c) with b + c = d, an exact p-value in ``p_range`` and b - c >= min_gain * n."""
    lo, hi = (float(x) for x in p_range)
    b = np.arange((d + 1) // 2, d + 1)
    p = _two_sided_p(d)[d - b]
    # Both counts between 100 and 399: no number of that size appears in the bundle's
    # text (the leak check reads whole numbers in text as answers).
    ok = b[(p >= lo) & (p <= hi) & (2 * b - d >= min_gain * n) & (d - b >= 100)
            & (b <= 399)]
    if len(ok) == 0:
        return None
    pick = int(rng.choice(ok))
    return pick, d - pick


# Every segment router, as a row of which segments it sends to premium (bit i of the row
# number is segment i), and how many it sends.
_ROUTERS = (np.arange(1 << len(SEGMENTS))[:, None] >> np.arange(len(SEGMENTS)) & 1).astype(bool)
_ROUTER_SIZE = _ROUTERS.sum(axis=1)


def _router_is_clear(n_s: np.ndarray, acc_s: np.ndarray, acc_p: np.ndarray,
                     weights: np.ndarray, ratio: float, cap: float, top: int) -> bool:
    """The best router within the cap (highest production-weighted accuracy; ties: the
    cheaper, then the smaller set) is neither premium-only nor Q3's top segment alone,
    every router sits clear of the cap, and no router within three flipped eval items of
    the best does as well. A routed task costs the premium cost per task, any other the
    standard one; ``ratio`` = standard / premium."""
    share = _ROUTERS @ weights
    cost = ratio + (1 - ratio) * share
    if np.any(np.abs(cost - cap) < 1e-6):
        return False
    value = np.where(_ROUTERS, acc_p, acc_s) @ weights
    feasible = np.flatnonzero(cost <= cap)
    feasible = feasible[np.lexsort((_ROUTER_SIZE[feasible], share[feasible],
                                    -value[feasible]))]
    best, others = feasible[0], feasible[1:]
    if not 2 <= _ROUTER_SIZE[best] <= 3 or not _ROUTERS[best, top]:
        return False
    # Three flipped eval items cannot change the answer, and no other router's accuracy
    # is within twice the answer's tolerance.
    per_item = np.where(_ROUTERS[others] ^ _ROUTERS[best], weights / n_s, 0.0).max(axis=1)
    return bool(np.all(value[best] - value[others] >= np.maximum(3 * per_item, 5e-4)))


def _pairs_show(seg: np.ndarray, std: np.ndarray, prem: np.ndarray, params: dict[str, Any],
                weights: np.ndarray, ratio: float) -> bool:
    """The helped segment leads on delta (not on premium accuracy, and it is not the
    hardest for standard), premium is worse on the hurt segments, the unpaired test lands
    far from the exact one, and the best segment router is clear."""
    ev = params["hidden"]["eval"]
    helped = SEGMENTS.index(ev["helped_segment"])
    n_s = np.bincount(seg, minlength=len(SEGMENTS))
    std_acc = np.bincount(seg, weights=std, minlength=len(SEGMENTS)) / n_s
    prem_acc = np.bincount(seg, weights=prem, minlength=len(SEGMENTS)) / n_s
    delta = prem_acc - std_acc
    if delta[helped] - np.max(np.delete(delta, helped)) < 0.03:
        return False
    if np.argmax(prem_acc) == helped or np.argmin(std_acc) == helped:
        return False
    if np.any(delta[[SEGMENTS.index(s) for s in ev["hurt_segments"]]] > -0.015):
        return False
    b, c = int((prem & ~std).sum()), int((std & ~prem).sum())
    if abs(unpaired_p(std, prem) - exact_mcnemar(b, c)) < 0.01:
        return False
    return _router_is_clear(n_s, std_acc, prem_acc, weights, ratio,
                            float(params["public"]["router_cost_cap"]), int(np.argmax(delta)))


def _cascade_shows(std: np.ndarray, prem: np.ndarray, conf: np.ndarray, margin: float
                   ) -> bool:
    """The cascade routes a real share before it comes within the margin of
    premium-only, three items away from either side of it."""
    n = len(std)
    target = float(prem.mean()) - margin
    acc, routed = cascade_curve(conf, std, prem)
    first = int(np.argmax(acc >= target))  # tau = 1.00 routes every item: always there
    # Off the knife edge: three items either way cannot move the answer.
    if acc[first] - target < 3 / n or np.any(target - acc[:first] < 3 / n):
        return False
    return bool(0.3 <= _TAUS[first] <= 0.9 and routed[first] >= 0.03)


def _confidence(rng: np.random.Generator, std: np.ndarray, prem: np.ndarray,
                fixed: np.ndarray) -> np.ndarray:
    """Standard's confidence: high when right; lower on the borderline items where the
    two tiers flip; confidently wrong on some items neither tier gets."""
    n = len(std)
    z = rng.normal(2.0, 0.9, n)
    z = np.where(fixed, rng.normal(0.9, 0.8, n), z)
    z = np.where(~std & ~prem, rng.normal(0.8, 1.2, n), z)
    z = np.where(std & ~prem, rng.normal(1.6, 0.9, n), z)
    return _confidence_clean(1 / (1 + np.exp(-z)))


def _sample_without_replacement(rng: np.random.Generator, items: np.ndarray, k: int,
                                weight: np.ndarray) -> np.ndarray:
    """``k`` of ``items``, each draw proportional to ``weight`` among those left
    (exponential keys: the k smallest of Exp(1) / weight)."""
    if k <= 0:
        return items[:0]
    keys = rng.exponential(1.0, len(items)) / weight
    return items[np.argpartition(keys, k - 1)[:k]]


def _eval_frame(rng: np.random.Generator, params: dict[str, Any], weights: np.ndarray,
                ratio: float) -> pd.DataFrame:
    ev = params["hidden"]["eval"]
    margin = float(params["public"]["cascade_margin_pts"]) / 100
    n = int(ev["n_items"])
    helped = SEGMENTS.index(ev["helped_segment"])
    also = SEGMENTS.index(ev["also_segment"])
    hurt = [SEGMENTS.index(s) for s in ev["hurt_segments"]]
    easy = SEGMENTS.index(ev["easy_segment"])
    hard = SEGMENTS.index(ev["hard_segment"])
    is_hurt = np.isin(np.arange(len(SEGMENTS)), hurt)
    std = prem = fixed = np.zeros(n, dtype=bool)
    conf = None
    seg = np.zeros(n, dtype=int)
    # Almost every variant succeeds within a few dozen draws; past 3000 the last draw is
    # kept, with its plants as they came. Each check runs as soon as what it reads is
    # drawn, and the confidences are drawn only for pass/fail pairs that show the plants.
    for _ in range(3000):
        # The eval's segment mix and per-segment difficulty, drawn again on each attempt.
        shares = rng.dirichlet(np.full(len(SEGMENTS), 12.0))
        shares[helped] = max(shares[helped], 0.2)
        seg = rng.choice(len(SEGMENTS), n, p=shares / shares.sum())
        acc = np.full(len(SEGMENTS), float(ev["base_accuracy"])) + rng.uniform(-0.03, 0.03, 6)
        acc[helped] = float(ev["helped_accuracy"])
        acc[easy] = min(0.95, acc[easy] + rng.uniform(0.08, 0.11))
        acc[hard] = float(ev["helped_accuracy"]) - rng.uniform(0.04, 0.08)
        std = rng.random(n) < acc[seg]
        conf = None
        n_s = np.bincount(seg, minlength=len(SEGMENTS))
        std_rate = np.bincount(seg, weights=std, minlength=len(SEGMENTS)) / np.maximum(1, n_s)
        if np.argmin(std_rate) == helped:  # the helped segment is not the hardest
            continue
        d = max(260, int(round(n * float(ev["discordant_rate"]) * rng.uniform(0.9, 1.1))))
        split = _discordant_split(rng, d, n, ev["p_range"], margin + 0.008)
        if split is None:
            continue
        b, c = split
        fails, passes = np.flatnonzero(~std), np.flatnonzero(std)
        # Premium's fixes: concentrated on the helped segment, some on a second one.
        in_helped = fails[seg[fails] == helped]
        in_also = fails[seg[fails] == also]
        b_helped = min(int(round(b * float(ev["helped_fix_share"]))), int(0.8 * len(in_helped)))
        # ... and never so many that the second segment rivals the first.
        n_h, n_a = int(n_s[helped]), int(n_s[also])
        b_also = min(int(round(b * float(ev["also_fix_share"]))), int(0.5 * len(in_also)),
                     max(0, int((b_helped / n_h - 0.06) * n_a)))
        others = fails[(seg[fails] != helped) & (seg[fails] != also)]
        # Premium's breaks: concentrated on the hurt segments.
        hurt_passes = passes[is_hurt[seg[passes]]]
        c_hurt = min(int(round(c * float(ev["hurt_break_share"]))), int(0.3 * len(hurt_passes)))
        other_passes = passes[~is_hurt[seg[passes]]]
        if len(others) < b - b_helped - b_also or len(other_passes) < c - c_hurt:
            continue
        fixed = np.zeros(n, dtype=bool)
        fixed[rng.choice(in_helped, b_helped, replace=False)] = True
        fixed[rng.choice(in_also, b_also, replace=False)] = True
        # The rest evenly over the other segments' items, not over their failures (the
        # hard segment would otherwise take most of them).
        fail_rate = np.maximum(1e-9, 1 - std_rate)
        fixed[_sample_without_replacement(rng, others, b - b_helped - b_also,
                                          1 / fail_rate[seg[others]])] = True
        broken = rng.choice(hurt_passes, c_hurt, replace=False)
        # A hurt segment that some of those fixes reached still loses at least two
        # points net: its shortfall moves from the breaks elsewhere to it.
        gained = np.bincount(seg[fixed], minlength=len(SEGMENTS))
        lost = np.bincount(seg[broken], minlength=len(SEGMENTS))
        short = np.where(is_hurt, np.maximum(0, gained + np.ceil(0.02 * n_s) - lost), 0)
        short = short.astype(np.int64)
        if short.any():
            spare = hurt_passes[~np.isin(hurt_passes, broken)]
            extra = [rng.choice(spare[seg[spare] == g], int(short[g]), replace=False)
                     for g in np.flatnonzero(short)
                     if short[g] <= min((seg[spare] == g).sum(), 0.3 * n_s[g])]
            if len(extra) < np.count_nonzero(short) or short.sum() > c - c_hurt:
                continue
            broken = np.concatenate([broken, *extra])
        prem = std | fixed
        prem[broken] = False
        prem[rng.choice(other_passes, c - len(broken), replace=False)] = False
        if not _pairs_show(seg, std, prem, params, weights, ratio):
            continue
        conf = _confidence(rng, std, prem, fixed)
        if _cascade_shows(std, prem, conf, margin):
            break
    if conf is None:
        conf = _confidence(rng, std, prem, fixed)

    lang = rng.choice(len(LANGUAGES), n, p=EVAL_LANGUAGE_SHARE)
    wf = rng.choice(len(WORKFLOWS), n, p=WORKFLOW_SHARE)
    pick = rng.random(n)
    queries = _queries(rng, lang, wf, pick)
    for _ in range(30):  # no two items ask exactly the same thing
        redo = np.flatnonzero(pd.Series(queries, dtype=object).duplicated().to_numpy())
        if not len(redo):
            break
        queries[redo] = _queries(rng, lang[redo], wf[redo], pick[redo])
    # Item ids are a shuffle of 10001...; the file lists the items by id.
    order = np.argsort(rng.permutation(n), kind="stable")
    return pd.DataFrame({
        "item_id": np.strings.add("EV-", np.arange(10001, 10001 + n).astype("U5")),
        "segment": _labels(SEGMENTS, seg[order]),
        "workflow": _labels(WORKFLOWS, wf[order]),
        "language": _labels(LANGUAGES, lang[order]),
        "query": queries[order],
        "standard_pass": std[order].astype(int),
        "premium_pass": prem[order].astype(int),
        "standard_confidence": conf[order],
    })


# ---------------------------------------------------------------------------------------
# Voice turns
# ---------------------------------------------------------------------------------------


def _voice_frame(rng: np.random.Generator, hidden: dict[str, Any]) -> pd.DataFrame:
    v = hidden["voice"]
    start = dt.datetime.fromisoformat(hidden["start_date"]) + dt.timedelta(days=14)
    n_sessions = int(v["n_sessions"])
    turns = 1 + rng.poisson(2.6, n_sessions)
    arm_s = rng.random(n_sessions) < 0.5
    loc_s = rng.choice(len(_LOCALES), n_sessions, p=np.array(list(LOCALE_SHARE.values())))
    session_start = _start_times(rng, start, 7, n_sessions)
    m = int(turns.sum())
    owner = np.repeat(np.arange(n_sessions), turns)
    two = arm_s[owner]
    tool = np.where(rng.random(m) < 0.12, 0, 1)  # small talk and goodbyes need no tool

    base = rng.lognormal(np.log(float(v["one_call_median_ms"])), 0.28, m)
    base = base + np.where(rng.random(m) < 0.02, rng.exponential(600, m), 0)
    base = np.where(tool == 0, base * 0.55, base)
    second = rng.lognormal(np.log(float(v["second_call_median_ms"])),
                           float(v["second_call_sigma"]), m)
    slow = rng.random(m) < float(v["tail_share"])
    second = second + np.where(slow, rng.exponential(float(v["tail_scale_ms"]), m), 0)
    uses_second = two & (tool == 1)
    latency = np.round(base + np.where(uses_second, second, 0.0)).astype(int)

    p1 = float(v["success_one_call"])
    success = np.zeros(m, dtype=bool)
    for _ in range(50):
        ok_first = rng.random(m) < np.where(tool == 0, 0.96, p1)
        fixed = uses_second & ~ok_first & ~slow & (rng.random(m) < float(v["fix_share"]) / (
            1 - float(v["tail_share"])))
        success = ok_first | fixed
        # The scenario says the second call fixes about a third of the failed turns.
        fail_one, fail_two = (1 - success[two == arm].mean() for arm in (False, True))
        if 0.28 <= 1 - fail_two / fail_one <= 0.38:
            break

    starts = np.concatenate([[0], np.cumsum(turns)[:-1]])
    k = np.arange(m) - np.repeat(starts, turns)
    step = latency + rng.integers(2500, 12000, m)
    offset = _group_cumsum(step, starts, turns) - step
    stamps = session_start[owner] + offset
    pick, lead = rng.random(m), rng.random(m)
    loc = loc_s[owner]
    talk = tool == 0
    ids = np.where(talk, _TALK_IDS[loc, (pick * _TALK_COUNT[loc]).astype(np.int64)],
                   _UTTERANCE_IDS[loc, (pick * _UTTERANCE_COUNT[loc]).astype(np.int64)])
    filler = np.where(talk, "", _FILLER_TEXT[loc, (lead * _FILLER_COUNT[loc]).astype(np.int64)])
    texts = _fill_all(rng, ids, filler)
    session_ids = _ids(rng, "call_", n_sessions, 12)
    order = np.argsort(stamps, kind="stable")
    owner, k, loc, tool, two = owner[order], k[order], loc[order], tool[order], two[order]
    return pd.DataFrame({
        "turn_id": np.strings.add(np.strings.add(session_ids[owner], "-t"),
                                  (k + 1).astype("U2")),
        "session_id": _labels(session_ids, owner),
        "started_at": _iso_ms(stamps[order]),
        "arm": _labels(("one_call", "two_calls"), two.astype(np.int64)),
        "locale": _labels(_LOCALES, loc),
        "tool_calls": np.where(tool == 0, 0, np.where(two, 2, 1)),
        "user_utterance": texts[order],
        "latency_ms": latency[order],
        "success": success[order].astype(int),
    })


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The variant's data files. Pure: writes nothing; deterministic given the rng."""
    hidden = params["hidden"]
    tasks, usage, weights, ratio = _usage_frames(rng, hidden)
    return {
        "tasks.csv": tasks,
        "usage_calls.csv": usage,
        "prices.csv": _price_rows(hidden),
        "eval_paired.csv": _eval_frame(rng, params, weights, ratio),
        "voice_turns.csv": _voice_frame(rng, hidden),
    }
