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
- the customer segment where premium really helps, beside an easy segment (highest
  premium accuracy) and a hard one (lowest standard accuracy) where it does not;
- how stable the prompt prefix is, hence the cache-hit ratio (about 0.2 to 0.75) and
  whether caching saves money at all under the price book's cache-write premium;
- fewer calls per task (fan-out) on premium, and more on tasks that are not resolved;
- how heavy the latency tail of the two-call voice arm is: light in about 55% of
  variants (the second call can then win on turns that succeed within the budget),
  heavy in the rest.
"""

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

TIERS = ("standard", "premium")
MODELS = {"standard": "kestrel-lite-2026-07", "premium": "kestrel-max-2026-07"}
SEGMENTS = ("freelancer", "small_business", "mid_market", "enterprise", "accounting_firm",
            "nonprofit")
WORKFLOWS = ("bank_reconciliation", "expense_categorization", "invoice_chasing",
             "tax_question", "month_end_report")
LANGUAGES = ("en", "es", "de", "fr", "pt")
BUDGET_CHOICES = (1800, 2000, 2200, 2500)
MARGIN_PTS_CHOICES = (0.5, 0.75, 1.0)
TAU_GRID = tuple(round(i * 0.05, 2) for i in range(1, 21))

# Production mix: freelancers and small businesses are most of the traffic.
PROD_SEGMENT_SHARE = np.array([0.30, 0.34, 0.14, 0.05, 0.12, 0.05])
WORKFLOW_SHARE = np.array([0.28, 0.30, 0.18, 0.14, 0.10])
WORKFLOW_RESOLUTION_SHIFT = np.array([-0.04, 0.06, 0.02, -0.02, -0.08])
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
            "Do I need to charge sales tax to a client in another state for consulting?",
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
            "¿Tengo que aplicar IVA a un cliente de Portugal?",
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
            "Muss ich bei einem Kunden in Österreich Umsatzsteuer ausweisen?",
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
            "Dois-je facturer la TVA à un client en Belgique ?",
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
            "Preciso cobrar IVA de um cliente em Espanha?",
        ),
        "month_end_report": (
            "Monta a DRE de {month} e marca o que variou mais de 20%.",
            "Resume o fluxo de caixa de {month} para os sócios.",
        ),
    },
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
        "um is my {month} statement ready",
        "thanks that's all",
    ),
    "en-GB": (
        "hiya, has {client} paid invoice {invoice} yet",
        "could you check the VAT on my last invoice please",
        "what do I owe on the account at the moment",
        "cheers, that's everything",
    ),
    "es-US": (
        "hola, llamo por la factura {invoice}, ¿ya está pagada?",
        "¿cuánto me debe {client}?",
        "quiero cambiar la fecha de vencimiento de la {invoice}",
        "gracias, eso es todo",
    ),
    "de-DE": (
        "hallo, ist die Rechnung {invoice} schon bezahlt",
        "wie hoch ist der offene Betrag bei {client}",
        "können Sie mir den Kontoauszug für {month} schicken",
        "danke, das war's",
    ),
    "fr-FR": (
        "bonjour, la facture {invoice} a été réglée ?",
        "combien me doit {client} en ce moment",
        "je voudrais décaler l'échéance de la {invoice}",
        "merci, c'est tout",
    ),
}
LOCALE_SHARE = {"en-US": 0.58, "en-GB": 0.14, "es-US": 0.14, "de-DE": 0.08, "fr-FR": 0.06}
CURRENCY = {"en": "${:,.2f}", "es": "{:,.2f} €", "de": "{:,.2f} €", "fr": "{:,.2f} €",
            "pt": "R$ {:,.2f}", "en-US": "${:,.2f}", "en-GB": "£{:,.2f}", "es-US": "${:,.2f}",
            "de-DE": "{:,.2f} €", "fr-FR": "{:,.2f} €"}


def _round(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _money(value: float, lang: str) -> str:
    text = CURRENCY[lang].format(value)
    if lang in ("es", "de", "fr", "pt", "de-DE", "fr-FR"):
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def _fill_all(rng: np.random.Generator, templates: list[str], langs: list[str]) -> list[str]:
    """Fill every template's slots; the random draws are made in bulk."""
    n = len(templates)
    vendor = rng.integers(0, len(VENDORS), n)
    client = rng.integers(0, len(CLIENTS), n)
    month = rng.integers(0, 4, n)
    invoice = rng.integers(1000, 9999, n)
    count = rng.integers(3, 95, n)
    amount = np.round(np.exp(rng.normal(5.5, 1.1, n)), 2)
    out = []
    for i, (template, lang) in enumerate(zip(templates, langs, strict=True)):
        out.append(template.format(
            vendor=VENDORS[vendor[i]],
            amount=_money(float(amount[i]), lang),
            month=MONTHS.get(lang[:2], MONTHS["en"])[month[i]],
            invoice=f"INV-{invoice[i]}",
            client=CLIENTS[client[i]],
            n=int(count[i]),
        ))
    return out


_ID_ALPHABET = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _ids(rng: np.random.Generator, prefix: str, n: int, length: int) -> list[str]:
    """Random base62 ids, unique."""
    codes = _ID_ALPHABET[rng.integers(0, 62, size=(n, length))]
    out = [prefix + raw.decode() for raw in codes.view(f"S{length}").ravel()]
    assert len(set(out)) == n
    return out


def _iso_ms(stamps: np.ndarray) -> list[str]:
    """Epoch milliseconds -> ISO 8601 UTC with milliseconds."""
    text = np.datetime_as_string(np.asarray(stamps, dtype="int64").astype("datetime64[ms]"),
                                 unit="ms")
    return [s + "Z" for s in text.tolist()]


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
    public = {
        "budget_ms": int(rng.choice(BUDGET_CHOICES)),
        "cascade_margin_pts": float(rng.choice(MARGIN_PTS_CHOICES)),
    }
    s_in, s_out, p_in, p_out = PRICE_BOOKS[int(rng.integers(len(PRICE_BOOKS)))]
    write_multiplier = float(rng.choice([1.25, 1.25, 2.0]))
    # A one-hour cache (write at 2x) only on teams whose prefix is fairly stable.
    stability = _round(rng.uniform(0.55 if write_multiplier > 1.5 else 0.25, 0.95))
    seg_order = [str(s) for s in rng.permutation(SEGMENTS)]
    fan_s = _round(rng.uniform(2.6, 3.6))
    start = dt.date(2026, 9, 7) + dt.timedelta(days=7 * int(rng.integers(0, 6)))
    significant = bool(rng.random() < 0.6)
    light_tail = bool(rng.random() < 0.55)
    hidden: dict[str, Any] = {
        "start_date": start.isoformat(),
        "n_tasks": int(rng.integers(3000, 4201)),
        "premium_share": _round(rng.uniform(0.15, 0.30)),
        "prices": {
            "standard": {"input": s_in, "output": s_out},
            "premium": {"input": p_in, "output": p_out},
            "cache_write_multiplier": write_multiplier,
            "cache_read_multiplier": float(rng.choice([0.1, 0.1, 0.25])),
        },
        "prefix_tokens": int(rng.integers(2500, 7001)),
        # How often a follow-up call finds its prefix still cached (a dynamic block early
        # in the prompt, or a reordered tool list, breaks it), and how often a task's first
        # call finds the shared system prefix warm from another task.
        "cache_stability": stability,
        "warm_start": _round(stability * rng.uniform(0.3, 0.9)),
        "legacy_uncached_share": _round(rng.uniform(0.03, 0.12)),
        "fanout_mean": {"standard": fan_s, "premium": _round(fan_s * rng.uniform(0.62, 0.82))},
        "resolution": {"standard": _round(rng.uniform(0.56, 0.66))},
        "error_rate": _round(rng.uniform(0.004, 0.015)),
        "eval": {
            "n_items": int(rng.integers(1400, 2201)),
            "helped_segment": seg_order[0],
            "easy_segment": seg_order[1],
            "hard_segment": seg_order[2],
            "base_accuracy": _round(rng.uniform(0.78, 0.84)),
            "helped_accuracy": _round(rng.uniform(0.62, 0.70)),
            "helped_fix_share": _round(rng.uniform(0.55, 0.75)),
            "discordant_rate": _round(rng.uniform(0.13, 0.22)),
            "significant": significant,
            "p_range": [0.005, 0.045] if significant else [0.07, 0.6],
        },
        "voice": {
            "n_sessions": int(rng.integers(650, 901)),
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
            "fix_share": _round(rng.uniform(0.35, 0.45)),
        },
    }
    hidden["resolution"]["premium"] = _round(hidden["resolution"]["standard"]
                                             + rng.uniform(0.02, 0.06))
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
        "price_book": ["2026-08-01"] * 2,
    })


def _call_costs(tier: np.ndarray, tokens: dict[str, np.ndarray], hidden: dict[str, Any],
                cached: bool = True) -> np.ndarray:
    p = hidden["prices"]
    base = np.where(tier == "premium", p["premium"]["input"], p["standard"]["input"])
    out = np.where(tier == "premium", p["premium"]["output"], p["standard"]["output"])
    w = p["cache_write_multiplier"] if cached else 1.0
    r = p["cache_read_multiplier"] if cached else 1.0
    return (base * (tokens["uncached"] + w * tokens["write"] + r * tokens["read"])
            + out * tokens["output"]) / 1e6


def _caching(rng: np.random.Generator, hidden: dict[str, Any], k: np.ndarray,
             legacy: np.ndarray, prefix: int, user: np.ndarray, dynamic: np.ndarray,
             added: np.ndarray, history: np.ndarray) -> dict[str, np.ndarray]:
    """Disjoint input counters per call: uncached, cache write, cache read."""
    m = len(k)
    first = k == 0
    warm = rng.random(m) < float(hidden["warm_start"])
    hit = rng.random(m) < float(hidden["cache_stability"])
    # The prompt up to the last breakpoint: prefix, the user's message, the history.
    cacheable = prefix + user + history
    read = np.where(first, np.where(warm, prefix, 0), np.where(hit, cacheable - added, 0))
    write = cacheable - read
    uncached = dynamic.copy()
    read = np.where(legacy, 0, read)
    write = np.where(legacy, 0, write)
    uncached = np.where(legacy, cacheable + dynamic, uncached)
    return {"uncached": uncached, "write": write, "read": read}


def _usage_frames(rng: np.random.Generator, hidden: dict[str, Any]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = int(hidden["n_tasks"])
    start = dt.datetime.fromisoformat(hidden["start_date"])
    prem = rng.random(n) < float(hidden["premium_share"])
    tier = np.where(prem, "premium", "standard")
    seg = rng.choice(len(SEGMENTS), n, p=PROD_SEGMENT_SHARE)
    wf = rng.choice(len(WORKFLOWS), n, p=WORKFLOW_SHARE)
    helped = seg == SEGMENTS.index(hidden["eval"]["helped_segment"])
    res = hidden["resolution"]
    p_res = np.where(prem, res["premium"], res["standard"]) + WORKFLOW_RESOLUTION_SHIFT[wf]
    p_res = p_res + np.where(helped & prem, 0.08, 0.0) - np.where(helped & ~prem, 0.04, 0.0)
    resolved = rng.random(n) < p_res

    # Fan-out: 1 + a negative binomial; unresolved tasks loop longer.
    fan = hidden["fanout_mean"]
    mean_extra = np.where(prem, fan["premium"], fan["standard"]) - 1.0
    shape = 1.4
    extra = rng.negative_binomial(shape, shape / (shape + mean_extra))
    extra = extra + np.where(resolved, 0, rng.geometric(0.4, n) - 1)
    calls = np.minimum(1 + extra, 40)

    task_start = _start_times(rng, start, 14, n)
    order = np.argsort(task_start, kind="stable")
    task_start = task_start[order]
    prem, tier, seg, wf, resolved, calls = (a[order] for a in (prem, tier, seg, wf, resolved,
                                                               calls))
    task_ids = _ids(rng, "task_", n, 14)

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

    tokens: dict[str, np.ndarray] = {}
    for _ in range(50):
        tokens = _caching(rng, hidden, k, legacy, prefix, user, dynamic, added, history)
        tokens["output"] = output
        total_in = tokens["uncached"] + tokens["write"] + tokens["read"]
        ratio = tokens["read"].sum() / total_in.sum()
        by_call = float((tokens["read"] > 0).mean())
        cost = _call_costs(tier[owner], tokens, hidden)
        flat = _call_costs(tier[owner], tokens, hidden, cached=False)
        per_tier_gap = min(abs(cost[call_prem].sum() - flat[call_prem].sum()) / prem.sum(),
                           abs(cost[~call_prem].sum() - flat[~call_prem].sum()) / (~prem).sum())
        # Keep the Q1/Q2 plants visible: caching moves the cost per 1,000 tasks by more
        # than a cent, and call-level hit rate is not the token-weighted ratio.
        if per_tier_gap * 1000 > 0.05 and abs(by_call - ratio) > 0.01:
            break

    # --- errors: a few calls fail (rate limit, overload) and are retried ---
    err = rng.random(m) < float(hidden["error_rate"])
    status = np.full(m, 200)
    codes = rng.choice([429, 529, 500], int(err.sum()), p=[0.6, 0.3, 0.1])

    # --- latency and timing ---
    ttft = np.where(call_prem, rng.lognormal(np.log(850), 0.35, m),
                    rng.lognormal(np.log(420), 0.35, m))
    prefill = (tokens["uncached"] + tokens["write"]) * np.where(call_prem, 0.03, 0.012)
    prefill = prefill + tokens["read"] * 0.002
    decode = output / np.where(call_prem, 55.0, 115.0) * 1000
    tail = np.where(rng.random(m) < 0.025, (rng.pareto(1.8, m) + 1) * 1500, 0.0)
    latency = np.round(ttft + prefill + decode + tail).astype(int)
    gap = np.round(rng.lognormal(np.log(350), 0.9, m)).astype(int)  # tool execution
    err_latency = np.where(codes == 529, rng.integers(2000, 30000, len(codes)),
                           rng.integers(40, 400, len(codes)))
    step = latency + gap
    pre = np.zeros(m, dtype=int)  # a failed attempt and the backoff before the retry
    pre[err] = err_latency + rng.integers(500, 4000, len(codes))
    offset = _group_cumsum(step + pre, starts, calls) - step
    call_start = task_start[owner] + offset
    stop = np.where(last, np.where(output >= 4096, "max_tokens", "end_turn"), "tool_use")

    ok = pd.DataFrame({
        "task_id": np.array(task_ids, dtype=object)[owner],
        "created_at_ms": call_start,
        "tier": tier[owner],
        "model": np.where(call_prem, MODELS["premium"], MODELS["standard"]),
        "http_status": status,
        "uncached_input_tokens": tokens["uncached"],
        "cache_write_input_tokens": tokens["write"],
        "cache_read_input_tokens": tokens["read"],
        "output_tokens": output,
        "latency_ms": latency,
        "stop_reason": stop,
    })
    idx = np.flatnonzero(err)
    failed = ok.iloc[idx].copy()
    failed["created_at_ms"] = call_start[idx] - pre[idx]
    failed["http_status"] = codes
    for col in ("uncached_input_tokens", "cache_write_input_tokens", "cache_read_input_tokens",
                "output_tokens"):
        failed[col] = 0
    failed["latency_ms"] = err_latency
    failed["stop_reason"] = np.where(codes == 429, "rate_limited",
                                     np.where(codes == 529, "overloaded", "api_error"))
    usage = pd.concat([ok, failed], ignore_index=True)
    usage = usage.sort_values("created_at_ms", kind="stable").reset_index(drop=True)
    usage.insert(0, "request_id", _ids(rng, "req_", len(usage), 20))
    usage["created_at"] = _iso_ms(usage.pop("created_at_ms").to_numpy())
    usage = usage[["request_id", "task_id", "created_at", "tier", "model", "http_status",
                   "uncached_input_tokens", "cache_write_input_tokens",
                   "cache_read_input_tokens", "output_tokens", "latency_ms", "stop_reason"]]

    tasks = pd.DataFrame({
        "task_id": task_ids,
        "created_at": _iso_ms(task_start),
        "tier": tier,
        "segment": np.array(SEGMENTS)[seg],
        "workflow": np.array(WORKFLOWS)[wf],
        "resolved": resolved,
    })
    return tasks, usage


# ---------------------------------------------------------------------------------------
# The paired eval
# ---------------------------------------------------------------------------------------


def exact_mcnemar(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: 2 * P(X <= min(b, c)), X ~ Bin(b + c, 1/2), capped."""
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))


def unpaired_p(pass_a: np.ndarray, pass_b: np.ndarray) -> float:
    """Two-proportion z-test with the pooled variance (the unpaired mistake)."""
    n = len(pass_a)
    pa, pb = pass_a.mean(), pass_b.mean()
    pooled = (pa + pb) / 2
    se = math.sqrt(pooled * (1 - pooled) * 2 / n)
    return float(2 * stats.norm.sf(abs(pb - pa) / se))


def _confidence_clean(values: np.ndarray) -> np.ndarray:
    """Four decimals, never on a multiple of 0.05, so grid thresholds are unambiguous."""
    c = np.round(np.clip(values, 0.03, 0.9985), 4)
    on_edge = np.abs(c * 20 - np.round(c * 20)) < 1e-9
    return np.round(np.where(on_edge, c + 0.0003, c), 4)


def cascade_curve(conf: np.ndarray, pass_std: np.ndarray, pass_prem: np.ndarray
                  ) -> list[tuple[float, float, float]]:
    """(tau, accuracy, routed share) for every grid value."""
    out = []
    for tau in TAU_GRID:
        routed = conf < tau
        acc = float(np.where(routed, pass_prem, pass_std).mean())
        out.append((tau, acc, float(routed.mean())))
    return out


def _discordant_split(rng: np.random.Generator, d: int, n: int, p_range: list[float],
                      min_gain: float) -> tuple[int, int] | None:
    """(b, c) with b + c = d, an exact p-value in ``p_range`` and b - c >= min_gain * n."""
    lo, hi = (float(x) for x in p_range)
    b = np.arange((d + 1) // 2, d + 1)
    p = np.minimum(1.0, 2.0 * stats.binom.cdf(d - b, d, 0.5))
    # Both counts between 100 and 399: no number of that size appears in the bundle's
    # text (the leak check reads whole numbers in text as answers).
    ok = b[(p >= lo) & (p <= hi) & (2 * b - d >= min_gain * n) & (d - b >= 100)
            & (b <= 399)]
    if len(ok) == 0:
        return None
    pick = int(rng.choice(ok))
    return pick, d - pick


def _eval_plants_show(seg: np.ndarray, std: np.ndarray, prem: np.ndarray, conf: np.ndarray,
                      helped: int, margin: float) -> bool:
    """The helped segment leads on delta (not on premium accuracy, and it is not the
    hardest for standard), the unpaired test lands far from the exact one, and the
    cascade routes a real share before it comes within the margin of premium-only."""
    groups = range(len(SEGMENTS))
    delta = np.array([prem[seg == g].mean() - std[seg == g].mean() for g in groups])
    prem_acc = np.array([prem[seg == g].mean() for g in groups])
    std_acc = np.array([std[seg == g].mean() for g in groups])
    if delta[helped] - np.max(np.delete(delta, helped)) < 0.03:
        return False
    if np.argmax(prem_acc) == helped or np.argmin(std_acc) == helped:
        return False
    b, c = int((prem & ~std).sum()), int((std & ~prem).sum())
    if abs(unpaired_p(std, prem) - exact_mcnemar(b, c)) < 0.01:
        return False
    target = float(prem.mean()) - margin
    curve = cascade_curve(conf, std, prem)
    if min(abs(acc - target) for _, acc, _ in curve) < 1e-9:
        return False  # no grid value sits on the margin: float order cannot matter
    tau, _, routed = next(row for row in curve if row[1] >= target)
    return 0.3 <= tau <= 0.9 and routed >= 0.08


def _eval_frame(rng: np.random.Generator, params: dict[str, Any]) -> pd.DataFrame:
    ev = params["hidden"]["eval"]
    margin = float(params["public"]["cascade_margin_pts"]) / 100
    n = int(ev["n_items"])
    helped = SEGMENTS.index(ev["helped_segment"])
    easy = SEGMENTS.index(ev["easy_segment"])
    hard = SEGMENTS.index(ev["hard_segment"])
    shares = rng.dirichlet(np.full(len(SEGMENTS), 12.0))
    shares[helped] = max(shares[helped], 0.17)
    seg = rng.choice(len(SEGMENTS), n, p=shares / shares.sum())
    acc = np.full(len(SEGMENTS), float(ev["base_accuracy"])) + rng.uniform(-0.03, 0.03, 6)
    acc[helped] = float(ev["helped_accuracy"])
    acc[easy] = min(0.95, acc[easy] + rng.uniform(0.08, 0.11))
    acc[hard] = float(ev["helped_accuracy"]) - rng.uniform(0.05, 0.10)

    std = prem = np.zeros(n, dtype=bool)
    conf = np.zeros(n)
    for _ in range(60):
        std = rng.random(n) < acc[seg]
        d = max(260, int(round(n * float(ev["discordant_rate"]) * rng.uniform(0.9, 1.1))))
        split = _discordant_split(rng, d, n, ev["p_range"], margin + 0.004)
        if split is None:
            continue
        b, c = split
        fails, passes = np.flatnonzero(~std), np.flatnonzero(std)
        in_helped = fails[seg[fails] == helped]
        b_helped = min(int(round(b * float(ev["helped_fix_share"]))), int(0.7 * len(in_helped)))
        others = fails[seg[fails] != helped]
        if len(others) < b - b_helped:
            continue
        fixed = np.zeros(n, dtype=bool)
        fixed[rng.choice(in_helped, b_helped, replace=False)] = True
        fixed[rng.choice(others, b - b_helped, replace=False)] = True
        prem = (std | fixed).copy()
        prem[rng.choice(passes, c, replace=False)] = False

        # Standard's confidence: high when right; lower on the borderline items where
        # the two tiers flip; confidently wrong on some items neither tier gets.
        z = rng.normal(2.0, 0.9, n)
        z = np.where(fixed, rng.normal(0.9, 0.8, n), z)
        z = np.where(~std & ~prem, rng.normal(0.8, 1.2, n), z)
        z = np.where(std & ~prem, rng.normal(1.1, 0.9, n), z)
        conf = _confidence_clean(1 / (1 + np.exp(-z)))
        if _eval_plants_show(seg, std, prem, conf, helped, margin):
            break

    lang = rng.choice(len(LANGUAGES), n, p=EVAL_LANGUAGE_SHARE)
    wf = rng.choice(len(WORKFLOWS), n, p=WORKFLOW_SHARE)
    pick = rng.random(n)
    templates = []
    for li, wi, u in zip(lang, wf, pick, strict=True):
        options = QUERIES[LANGUAGES[li]][WORKFLOWS[wi]]
        templates.append(options[int(u * len(options))])
    queries = _fill_all(rng, templates, [LANGUAGES[i] for i in lang])
    return pd.DataFrame({
        "item_id": [f"EV-{i:05d}" for i in rng.permutation(np.arange(10001, 10001 + n))],
        "segment": np.array(SEGMENTS)[seg],
        "workflow": np.array(WORKFLOWS)[wf],
        "language": np.array(LANGUAGES)[lang],
        "query": queries,
        "standard_pass": std.astype(int),
        "premium_pass": prem.astype(int),
        "standard_confidence": conf,
    }).sort_values("item_id", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Voice turns
# ---------------------------------------------------------------------------------------


def _voice_frame(rng: np.random.Generator, hidden: dict[str, Any]) -> pd.DataFrame:
    v = hidden["voice"]
    start = dt.datetime.fromisoformat(hidden["start_date"]) + dt.timedelta(days=14)
    n_sessions = int(v["n_sessions"])
    turns = 1 + rng.poisson(2.6, n_sessions)
    arm_s = rng.random(n_sessions) < 0.5
    locales = list(LOCALE_SHARE)
    loc_s = rng.choice(len(locales), n_sessions, p=np.array(list(LOCALE_SHARE.values())))
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
    ok_first = rng.random(m) < np.where(tool == 0, 0.96, p1)
    fixed = uses_second & ~ok_first & ~slow & (rng.random(m) < float(v["fix_share"]) / (
        1 - float(v["tail_share"])))
    success = ok_first | fixed

    starts = np.concatenate([[0], np.cumsum(turns)[:-1]])
    k = np.arange(m) - np.repeat(starts, turns)
    step = latency + rng.integers(2500, 12000, m)
    offset = _group_cumsum(step, starts, turns) - step
    stamps = session_start[owner] + offset
    pick = rng.random(m)
    templates, langs = [], []
    for li, tl, u in zip(loc_s[owner], tool, pick, strict=True):
        options = UTTERANCES[locales[li]]
        # The last utterance of each locale is a goodbye: no tool needed.
        templates.append(options[-1] if tl == 0 else options[int(u * (len(options) - 1))])
        langs.append(locales[li])
    texts = _fill_all(rng, templates, langs)
    session_ids = _ids(rng, "call_", n_sessions, 12)
    frame = pd.DataFrame({
        "turn_id": [f"{session_ids[o]}-t{j + 1}" for o, j in zip(owner, k, strict=True)],
        "session_id": np.array(session_ids, dtype=object)[owner],
        "started_at": _iso_ms(stamps),
        "arm": np.where(two, "two_calls", "one_call"),
        "locale": np.array(locales)[loc_s[owner]],
        "tool_calls": np.where(tool == 0, 0, np.where(two, 2, 1)),
        "user_utterance": texts,
        "latency_ms": latency,
        "success": success.astype(int),
    })
    return frame.sort_values("started_at", kind="stable").reset_index(drop=True)


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The variant's data files. Pure: writes nothing; deterministic given the rng."""
    hidden = params["hidden"]
    tasks, usage = _usage_frames(rng, hidden)
    return {
        "tasks.csv": tasks,
        "usage_calls.csv": usage,
        "prices.csv": _price_rows(hidden),
        "eval_paired.csv": _eval_frame(rng, params),
        "voice_turns.csv": _voice_frame(rng, hidden),
    }
