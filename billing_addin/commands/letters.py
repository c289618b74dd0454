"""`billing letters` and the ribbon's letter buttons: choose the letters, make each a DOCX and a PDF,
optionally a print file and e-mail drafts, and log every letter so none goes out twice.

The command writes letter files (that is its job) but never the workbook: the Letters log comes back as a
patch for the shell to write, like every other command's result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfWriter

from billing_addin.commands.result import Result, audit_sheet, loaded_at, stopped
from billing_addin.commands.send import draft_letter_email, draft_path, email_template_for
from billing_addin.core.book import Book
from billing_addin.core.claim_letters import (
    CLAIM_KINDS,
    claims_after_letters,
    missing_items,
    payer_references,
    select_claims,
)
from billing_addin.core.claims import denial_meanings, insurance_holds
from billing_addin.core.dunning import INSURANCE_PENDING, DunningLevel, plan_dunning
from billing_addin.core.findings import ERROR, WARNING, Finding, sort_findings
from billing_addin.core.held_back import held_back_warning, paid_since, split_held
from billing_addin.core.ledger import VOID, build_ledger
from billing_addin.core.letter_log import LETTER_COLUMNS, LETTERS_SHEET, LetterRecord
from billing_addin.core.patch import OwnedSheet, Patch
from billing_addin.core.plans import ACTIVE, BROKEN, LATE, MISSED, PAID, PROPOSED, PlanStanding, plans_as_of
from billing_addin.core.statements import statements
from billing_addin.documents import names as naming
from billing_addin.documents.context import (
    PLAN_AGREEMENT,
    PLAN_LETTER_NAMES,
    PLAN_MISSED,
    PLAN_REMINDER,
    Letter,
    LetterBuilder,
    customers_for_rows,
    invoices_for_rows,
)
from billing_addin.documents.files import write_whole
from billing_addin.documents.mail import EmailTemplateError, write_draft
from billing_addin.documents.pdf import HOW_TO_GET_PDFS, PdfError, detect_engine
from billing_addin.documents.render import DocxRenderer, RenderedLetter, RenderError
from billing_addin.documents.templates import SHIPPED, check_templates
from billing_addin.documents.variables import KINDS
from billing_addin.loader import LoadedBook

Progress = Callable[[int, int], None]  # (letters finished, letters in the batch)
MIN_CHUNK, MAX_CHUNK = 10, 250  # letters per master document
# A letter to a payer is named by its claim (appeal_CLM-1_2026-06-30.pdf): one patient may have several claims,
# and the claim ID says which without naming the patient.
CLAIM_FILE_PATTERN = "{kind}_{invoice}_{date}"
STATEMENT_MONTHS = 3  # a statement covers the as-of month and the two before it unless told otherwise


@dataclass
class _Made:
    """One letter on its way: its files and, once converted, its PDF."""

    letter: Letter
    stem: str
    docx: Path
    rendered: RenderedLetter | None
    pdf: Path | None = None
    eml: Path | None = None
    sha256: str = ""


@dataclass
class Selection:
    letters: list[Letter] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {customer_id, reason}
    findings: list[Finding] = field(default_factory=list)


def make_letters(
    loaded: LoadedBook | Book,
    book_path: Path,
    as_of: dt.date | None = None,
    *,
    kind: str = "dunning",
    customers: Sequence[str] | None = None,
    rows: Sequence[int] | None = None,
    out_dir: Path | None = None,
    pdf: bool = True,
    print_file: bool = False,
    email_drafts: bool = False,
    again: bool = False,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    start: dt.date | None = None,
    engine=None,
    user: str | None = None,
    claims: Sequence[str] | None = None,
) -> Result:
    """Make the letters of one kind as at `as_of`.

    customers: only these Customer IDs. rows: Excel rows of the Invoices sheet (kind invoice) or of the
    Customers sheet (other kinds), as a clerk selects them. start: a statement's first day.
    engine: a PDF engine (default: what the PDF Engine setting finds). again: make letters the log
    already has (for an appeal, also of a claim already Appealed). claims: Claim IDs, for the letters to
    payers (kind appeal or preauth); a named claim that cannot have the letter stops the batch. Returns a Result: files made, data["letters"], data["skipped"], findings, and a patch
    that rewrites the Letters log with a row per letter made (and an Audit row).
    A KeyboardInterrupt stops the batch cleanly: letters finished are in the result, the rest removed.
    """
    loaded = loaded_at(loaded, as_of)
    as_of, book = loaded.as_of, loaded.book
    now = (now or dt.datetime.now()).replace(microsecond=0)
    result = Result("letters", as_of)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    folder = Path(book_path).resolve().parent
    pattern = str(book.settings.get("File Name Pattern") or naming.DEFAULT_PATTERN)
    try:
        naming.check_pattern(pattern)
    except naming.PatternError as e:
        return _stop(
            result,
            _settings_finding(book, "File Name Pattern", str(e), "Fix the pattern, e.g. {kind}_{customer_id}_{date}."),
        )
    if kind in CLAIM_KINDS and pattern == naming.DEFAULT_PATTERN:
        pattern = CLAIM_FILE_PATTERN
    templates = templates_folder(book, folder)
    if templates is None:
        return _stop(
            result,
            _settings_finding(
                book,
                "Templates Folder",
                "The Templates Folder does not exist.",
                "Type a folder beside the workbook, or leave it blank.",
            ),
        )
    logo = _logo(book, folder)
    if isinstance(logo, Finding):
        return _stop(result, logo)

    # The checks come first: a sheet or column the letters' figures need that is missing stops every letter.
    if loaded.stop:
        stopped_result = stopped("letters", loaded, as_of)
        result.findings += stopped_result.findings
        result.details = "nothing made"
        result.counts["errors"] = len(result.errors)
        return result
    ledger = build_ledger(book, as_of)
    log = list(loaded.config.letter_log)
    # --again makes today's letters again: dunning then plans as if today's letters were not in the log yet.
    plan_log = [r for r in log if r.as_of != as_of] if again else log
    chosen = select_letters(
        book,
        ledger,
        kind,
        customers=customers,
        rows=rows,
        start=start,
        log=plan_log,
        levels=loaded.config.dunning_levels,
        claims=claims,
        again=again,
    )
    if kind == "dunning":  # what parsing DunningLevels found stops dunning letters (an error) or is told
        chosen.findings[:0] = loaded.config.level_findings
    result.findings += chosen.findings
    if claims and kind not in CLAIM_KINDS:
        result.findings.append(
            Finding(
                WARNING,
                "claims-ignored",
                "",
                "",
                f"Claim IDs choose only appeal and preauth letters; they were ignored for {kind} letters.",
                "Use --customers or --rows to choose these letters.",
            )
        )
    if kind in CLAIM_KINDS and any(f.severity == ERROR for f in chosen.findings):
        # The clerk named a claim that cannot have this letter: make none, so the batch is the one asked for.
        result.findings = sort_findings(result.findings, book.sheet_titles)
        result.data = {"as_of": as_of, "kind": kind, "folder": "", "letters": [], "skipped": chosen.skipped}
        return _stop(result, _refused(kind))
    made_before = 0
    if kind == "plan":
        # A plan's letters build up over its life: those of earlier as-of dates are counted, not listed one by
        # one on every run, and --again makes only this as-of date's letters again.
        letters, repeats = _not_yet_made(chosen.letters, plan_log)
        _, same_day = _not_yet_made(repeats, [r for r in log if r.as_of == as_of])
        made_before = len(repeats) - len(same_day)
        skipped = chosen.skipped + [
            {"customer_id": x.customer_id, "reason": f"{x.reference} already made (use --again to make it again)"}
            for x in same_day
        ]
    else:
        letters, repeats = (chosen.letters, []) if again else _not_yet_made(chosen.letters, log)
        skipped = chosen.skipped + [{"customer_id": x.customer_id, "reason": _already_made(x)} for x in repeats]
    result.data = {
        "as_of": as_of,
        "kind": kind,
        "folder": "",
        "letters": [],
        "skipped": skipped,
        "print_file": None,
        "interrupted": False,
        "made_before": made_before,  # plan letters the log has from earlier as-of dates: never made again
    }
    result.counts = {"letters": 0, "skipped": len(skipped), "pdf": 0, "drafts": 0}
    if not letters:
        result.details = f"no {kind} letters to make"
        return result

    # Letters go out today: as of an earlier date, a customer who has paid since is held back (that money is
    # not in the figures); everyone else gets their letter.
    if kind in ("dunning", "invoice", "plan"):
        since = paid_since(book, as_of, now.date())

        def asks_for_money(x: Letter) -> bool:  # a plan agreement asks for nothing not yet due
            return x.customer_id.casefold() in since and x.template != PLAN_AGREEMENT

        if since:
            skipped += [
                {"customer_id": x.customer_id, "reason": since[x.customer_id.casefold()]}
                for x in letters
                if asks_for_money(x)
            ]
            letters = [x for x in letters if not asks_for_money(x)]
            result.counts["skipped"] = len(skipped)
            if not letters:
                result.details = f"no {kind} letters made: every customer has paid since {as_of}"
                return result
    # Letters from rows with errors in them would tell customers wrong amounts and dates: such customers
    # are held back, and an error that concerns everyone (or a customer that cannot be told) stops the batch.
    errors = loaded.errors
    if errors:
        result.findings += errors
        held = loaded.held
        if held.everyone:
            return _stop(
                result,
                held.nothing_goes_out(
                    "letters-not-made",
                    errors,
                    "No letters were made",
                    "Each error above names its cell (or run `billing validate BOOK`); make the letters once "
                    "they are fixed.",
                ),
            )
        kept, waiting = split_held(held, letters, lambda x: x.customer_id)
        skipped += [{"customer_id": x.customer_id, "reason": held.reason(x.customer_id)} for x in waiting]
        if waiting:
            result.findings.append(
                held_back_warning(
                    "letters-held-back",
                    f"{len(waiting)} letter(s) were held back: rows of those customers have the errors "
                    "above. The other letters go ahead.",
                    "Fix the errors and run again: the held-back letters are made then, and no letter twice.",
                )
            )
        letters = kept
        result.counts["skipped"] = len(skipped)
        if not letters:
            result.details = f"no {kind} letters made: every one was held back"
            result.counts["errors"] = len(result.errors)
            return result

    missing = sorted({x.template for x in letters if not (templates / x.template).is_file()})
    problems = [
        Finding(
            ERROR,
            "missing-template",
            name,
            "",
            f"The letter template {name} is not in {templates}.",
            "Put it there, or fix Letter Template on the DunningLevels sheet."
            if kind == "dunning"
            else f"Copy {name} (and its .email.txt) from {SHIPPED} into that folder.",
        )
        for name in missing
    ]
    for name in sorted({x.template for x in letters} - set(missing)):
        problems += check_templates(templates / name)
    result.findings += problems
    if any(f.severity == ERROR for f in [*chosen.findings, *problems]):
        result.findings = sort_findings(result.findings, book.sheet_titles)
        result.details = "templates refused: no letter made"
        return result

    out = Path(out_dir) if out_dir else output_folder(book, folder)
    out.mkdir(parents=True, exist_ok=True)
    result.data["folder"] = str(out)
    if pdf and engine is None:
        engine = detect_engine(str(book.settings.get("PDF Engine") or "Auto"))
        if engine is None and str(book.settings.get("PDF Engine") or "Auto").casefold() != "none":
            result.findings.append(
                Finding(
                    WARNING,
                    "no-pdf-engine",
                    "",
                    "",
                    "No PDF engine was found, so only Word files were made.",
                    HOW_TO_GET_PDFS,
                )
            )
    elif not pdf:
        engine = None

    made = _make(letters, templates, logo, out, pattern, engine, progress, result)
    finished = [m for m in made if m.docx.exists()]  # with a PDF engine, only letters that got their PDF
    if email_drafts:
        _drafts(book, finished, templates, now, result)
    if print_file:
        _print_file(finished, out, kind, as_of, result)
    records = [_record(m, now, folder) for m in finished]
    result.files += [str(p) for m in finished for p in (m.docx, m.pdf, m.eml) if p]
    result.data["letters"] = [
        {
            "customer_id": m.letter.customer_id,
            "kind": m.letter.kind,
            "level": m.letter.level,
            "invoices": list(m.letter.invoices),
            "reference": m.letter.reference,
            "letter": PLAN_LETTER_NAMES.get(m.letter.template, m.letter.kind),
            "docx": str(m.docx),
            "pdf": str(m.pdf) if m.pdf else None,
            "email": str(m.eml) if m.eml else None,
        }
        for m in finished
    ]
    result.counts.update(
        letters=len(finished), pdf=sum(1 for m in finished if m.pdf), drafts=sum(1 for m in finished if m.eml)
    )
    result.counts.update(errors=len([f for f in result.findings if f.severity == ERROR]))
    result.details = f"{len(finished)} {kind} letter(s) made" + (
        " (stopped early)" if result.data["interrupted"] else ""
    )
    if records:
        old = [r.as_row() for r in log]
        log_sheet = OwnedSheet(LETTERS_SHEET, LETTER_COLUMNS, tuple(old + [r.as_row() for r in records]))
        after = (
            claims_after_letters(book, kind, [m.letter.invoices[0] for m in finished if m.letter.invoices], as_of)
            if kind in CLAIM_KINDS
            else None
        )
        result.patch = Patch(
            sheets=(log_sheet, audit_sheet(book, result, now, user)), updates=(after,) if after else ()
        )
    result.findings = sort_findings(result.findings, book.sheet_titles)
    return result


# --- choosing the letters ---------------------------------------------------------------------------------


def select_letters(
    book: Book,
    ledger,
    kind: str,
    *,
    customers=None,
    rows=None,
    start=None,
    log: Sequence[LetterRecord] = (),
    levels: Sequence[DunningLevel] = (),
    claims: Sequence[str] | None = None,
    again: bool = False,
) -> Selection:
    """The letters of `kind` the selection asks for, and who is left out and why.
    log, levels: the letter log and the dunning levels dunning reads (core/config.py)."""
    sel = Selection()
    builder = LetterBuilder(book, ledger)
    as_of = ledger.as_of
    wanted = {c.casefold() for c in customers} if customers else None
    if rows and kind != "invoice":
        picked = {c.casefold() for c in customers_for_rows(book, rows)}
        wanted = picked if wanted is None else wanted & picked

    def chosen(cid: str) -> bool:
        return wanted is None or cid.casefold() in wanted

    if kind == "dunning":
        standing = plans_as_of(book, ledger)  # payment plans kept and promises not yet due hold reminders
        decisions, skips = plan_dunning(
            book, as_of, ledger=ledger, levels=levels, log=log, holds=standing.holds, notes=standing.notes
        )
        sel.letters = [builder.dunning(d, levels) for d in decisions if chosen(d.customer_id)]
        sel.skipped = [{"customer_id": s.customer_id, "reason": s.reason} for s in skips if chosen(s.customer_id)]
    elif kind == "invoice":
        if rows:
            invoices = invoices_for_rows(book, ledger, rows)
        elif wanted is not None:
            invoices = [
                i for i in ledger.invoices.values() if chosen(i.customer_id) and i.status != VOID and i.outstanding > 0
            ]
        else:  # what a clerk sends at the end of the day: the invoices dated today
            invoices = [i for i in ledger.invoices.values() if i.invoice_date == as_of and i.status != VOID]
        invoices.sort(key=lambda i: (i.row, i.invoice_no))
        sel.letters = [builder.invoice(i) for i in invoices]
    elif kind == "statement":
        first = start or _months_back(as_of, STATEMENT_MONTHS - 1)
        ids = sorted(
            {c.customer_id for c in ledger.customers if chosen(c.customer_id) and (c.balance or c.unapplied_credit)},
            key=str.casefold,
        )
        if wanted is not None:  # a statement asked for by name comes even when the account is settled
            ids = sorted(
                {*ids, *(i.customer_id for i in ledger.invoices.values() if chosen(i.customer_id))}, key=str.casefold
            )
        insurance = {k: why for k, (_, why) in insurance_holds(book, INSURANCE_PENDING).items()}
        for cid in ids:
            with_insurer = _all_with_insurer(ledger, cid, insurance) if insurance and wanted is None else None
            if with_insurer:  # a patient is not sent a statement for what the insurer has not settled
                sel.skipped.append({"customer_id": cid, "reason": f"insurance pending: {with_insurer}"})
                continue
            try:
                sel.letters += [builder.statement(s) for s in statements(book, cid, first, as_of, ledger=ledger)]
            except KeyError:
                sel.skipped.append({"customer_id": cid, "reason": "no account lines up to the as-of date"})
    elif kind == "plan":
        days = _reminder_days(book)
        for standing in plans_as_of(book, ledger).plans:
            if chosen(standing.terms.customer_id):
                sel.letters += plan_letters(builder, standing, as_of, days)
    else:  # appeal, preauth: a letter to the payer about each claim chosen
        claim_letters(builder, kind, sel, claims=claims, again=again, chosen=chosen if wanted is not None else None)
    if wanted is not None:
        found = {x.customer_id.casefold() for x in sel.letters} | {s["customer_id"].casefold() for s in sel.skipped}
        for cid in sorted(wanted - found):
            sel.skipped.append({"customer_id": cid, "reason": f"nothing for a {kind} letter"})
    return sel


def claim_letters(builder: LetterBuilder, kind: str, sel: Selection, *, claims, again: bool, chosen=None) -> None:
    """The letters to payers (core/claim_letters.py chooses the claims): one per claim, addressed to its payer.
    chosen: a test of the patient's account (--customers, --rows), None for every patient.
    A claim that lacks what its letter must carry is left out with the cells to fill, never sent half-made."""
    book = builder.book
    picked = select_claims(book, kind, builder.as_of, named=claims, again=again)
    sel.findings += picked.findings
    sel.skipped += [s for s in picked.skipped if chosen is None or chosen(s["customer_id"])]
    meanings = denial_meanings(book)
    payer_refs = payer_references(book)
    for c in picked.chosen:
        claim = c.claim
        if chosen is not None and not chosen(claim.patient_account):
            continue
        patient = builder.customers.get(claim.patient_account.casefold())
        name = patient.name if patient is not None else ""
        lacking = missing_items(kind, claim, name, book)
        if lacking:
            sel.skipped.append(
                {"customer_id": claim.patient_account, "reason": f"claim {claim.claim_id} lacks " + "; ".join(lacking)}
            )
            sel.findings.append(
                Finding(
                    WARNING,
                    "claim-letter-incomplete",
                    book.sheet("Claims").title,
                    "",
                    f"No {kind} letter for claim {claim.claim_id}: it lacks " + "; ".join(lacking) + ".",
                    "Fill in the cells named and run again.",
                )
            )
            continue
        if kind == "appeal" and (c.payer is None or not c.payer.appeals_address):
            sel.findings.append(
                Finding(
                    WARNING,
                    "no-appeals-address",
                    "Payers",
                    "",
                    f"The appeal of claim {claim.claim_id} has no address: payer {claim.payer or '(blank)'} has no "
                    "Appeals Address on the Payers sheet.",
                    "Add the payer's Appeals Address on Payers, or write the address on the letter.",
                )
            )
        payer_ref = payer_refs.get(claim.claim_id.casefold(), "")
        sel.letters.append(builder.claim(kind, c, name, meanings, payer_ref))


def _refused(kind: str) -> Finding:
    return Finding(
        ERROR,
        "letters-not-made",
        "Claims",
        "",
        f"No {kind} letters were made: a claim named cannot have one (see above).",
        "Name only the claims that can have the letter, or leave --claims out to make every one due.",
    )


def _already_made(x: Letter) -> str:
    if x.kind in CLAIM_KINDS:
        return f"{x.reference} already made (use --again to make it again)"
    return "already made (use --again to make it again)"


def plan_letters(builder: LetterBuilder, standing: PlanStanding, as_of: dt.date, reminder_days: int) -> list[Letter]:
    """Every letter one plan calls for as at `as_of` (the log then decides which are new):

    - the agreement (payment_plan.docx), for a plan Active or Proposed;
    - a reminder (installment_reminder.docx) of each installment of an Active plan not paid in full and due
      within `reminder_days` after the as-of date (as_of <= due <= as_of + reminder_days);
    - a missed-installment letter (missed_installment.docx) for each installment Late or Missed of an Active
      or Broken plan.
    """
    out = []
    status = standing.status
    if status in (ACTIVE, PROPOSED):
        out.append(builder.plan(standing, PLAN_AGREEMENT))
    if status == ACTIVE:
        last = as_of + dt.timedelta(days=reminder_days)
        out += [
            builder.plan(standing, PLAN_REMINDER, i)
            for i in standing.schedule
            if i.state != PAID and as_of <= i.due <= last
        ]
    if status in (ACTIVE, BROKEN):
        out += [builder.plan(standing, PLAN_MISSED, i) for i in standing.schedule if i.state in (LATE, MISSED)]
    return out


def _reminder_days(book: Book) -> int:
    """Plan Reminder Days from Settings (default 7); the validation of Settings names a bad value."""
    try:
        return max(0, int(book.settings.get("Plan Reminder Days", 7)))
    except (TypeError, ValueError):
        return 7


def _not_yet_made(letters: list[Letter], log: list[LetterRecord]) -> tuple[list[Letter], list[Letter]]:
    """Letters the log does not have yet, and those it has (same kind, customer, level and invoices; for a
    statement also the same as-of date and period, since statements repeat each period and a clerk may ask
    for another period on the same day; for a plan letter the same plan, letter and installment, which its
    reference names). A statement logged before the log had its period counts for any period of its as-of
    date, as it did then."""
    done = set()
    for r in log:
        if r.status in ("made", "sent"):
            period = (r.period_start, r.period_end) if r.period_start and r.period_end else None
            done.add(_key(r.kind, r.customer_id, r.level, r.invoices, r.as_of, period, r.reference))
    fresh, repeats = [], []
    for x in letters:
        keys = {_key(x.kind, x.customer_id, x.level, x.invoices, x.as_of, x.period, x.reference)}
        if x.kind == "statement":
            keys.add(_key(x.kind, x.customer_id, x.level, x.invoices, x.as_of, None))  # an older log's row
        (repeats if keys & done else fresh).append(x)
    return fresh, repeats


def _key(kind, customer_id, level, invoices, as_of, period=None, reference=""):
    if (
        kind == "plan" or kind in CLAIM_KINDS
    ):  # one per plan, letter and installment, whatever the invoices it covers turn out to be
        return (kind, customer_id.casefold(), (reference or "").casefold())
    statement = kind == "statement"
    return (
        kind,
        customer_id.casefold(),
        level or None,
        frozenset(i.casefold() for i in invoices),
        as_of if statement else None,
        period if statement else None,
    )


def _months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, 1)


# --- making them ----------------------------------------------------------------------------------------


def _make(letters, templates: Path, logo, out: Path, pattern: str, engine, progress, result: Result) -> list[_Made]:
    """Render every letter to DOCX; convert them in master-document chunks on two lanes; write the PDFs.
    Returns the letters with their DOCX (and PDF) written; on Ctrl-C the unfinished ones are removed."""
    renderers: dict[str, DocxRenderer] = {}
    taken = {p.stem for p in out.iterdir() if p.suffix.lower() in (".docx", ".pdf", ".eml")}
    stems = naming.NameBook(taken)
    total = len(letters)
    lanes = 2 if engine is not None and getattr(engine, "name", "") == "LibreOffice" else 1
    # Each chunk is one LibreOffice run (~1.3 s to start): as few as keep the lanes busy and the bar moving.
    runs_per_lane = max(1, math.ceil(total / (lanes * MAX_CHUNK)))
    chunk = max(MIN_CHUNK, math.ceil(total / (lanes * runs_per_lane)))
    made: list[_Made] = []
    pending: dict[str, list[_Made]] = {}
    futures: list[tuple[Future, list[_Made]]] = []
    done = 0
    lane_ids = iter(range(10**9))
    local = threading.local()

    def convert(group: list[_Made]) -> list[bytes]:
        if not hasattr(local, "lane"):
            local.lane = next(lane_ids)
        try:
            return engine.convert([m.rendered for m in group], local.lane)
        except PdfError:  # one retry: a converter that crashed once usually converts the second time
            return engine.convert([m.rendered for m in group], local.lane)

    def finish(group: list[_Made], future: Future) -> None:
        nonlocal done
        try:
            pdfs = future.result()
        except PdfError as e:
            result.findings.append(
                Finding(
                    WARNING,
                    "pdf-failed",
                    "",
                    "",
                    f"{len(group)} letter(s) not made: their PDF failed ({e}).",
                    "Run the same command again to make them; the letters made are not repeated.",
                )
            )
            pdfs = []
        for m, data in zip(group, pdfs):
            m.pdf = write_whole(out / f"{m.stem}.pdf", data)
            m.sha256 = hashlib.sha256(data).hexdigest()
        for m in group:
            m.rendered = None  # the body XML is no longer needed; 1,000 letters should not all stay in memory
        done += len(group)
        if progress:
            progress(done, total)

    pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="pdf") if engine else None
    try:
        for x in letters:
            renderer = renderers.get(x.template)
            if renderer is None:
                renderer = renderers[x.template] = DocxRenderer(templates / x.template, logo)
            try:
                rendered = renderer.render(x.context)
            except RenderError as e:
                result.findings.append(
                    Finding(
                        ERROR,
                        "render-failed",
                        x.template,
                        "",
                        f"Letter for {x.customer_id} not made: {e}",
                        "Run `billing templates check`.",
                    )
                )
                continue
            stem = stems.claim(naming.letter_stem(pattern, **_name_values(x)))
            m = _Made(x, stem, write_whole(out / f"{stem}.docx", rendered.docx), rendered)
            made.append(m)
            if pool is None:
                m.rendered = None
                done += 1
                if progress:
                    progress(done, total)
                continue
            group = pending.setdefault(rendered.group, [])
            group.append(m)
            if len(group) >= chunk:
                futures.append((pool.submit(convert, group), group))
                pending[rendered.group] = []
            _collect(futures, finish, block=False)
        for group in pending.values():
            if group:
                futures.append((pool.submit(convert, group), group))
        _collect(futures, finish, block=True)
    except KeyboardInterrupt:
        result.data["interrupted"] = True
        for future, _ in futures:
            future.cancel()
        if engine is not None and hasattr(engine, "cancel"):
            engine.cancel()
        for future, group in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                finish(group, future)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if engine is not None:
            engine.close()
        # No half-made letter is left: a letter whose PDF failed or never came is removed and not logged,
        # so the same command makes it next time.
        if engine is not None:
            for m in made:
                if m.pdf is None:
                    m.docx.unlink(missing_ok=True)
    return made


def _collect(futures: list, finish, block: bool) -> None:
    """Finish converted chunks in order (so the log and the print file keep the letters' order)."""
    while futures and (block or futures[0][0].done()):
        future, group = futures.pop(0)
        finish(group, future)


def _name_values(x: Letter) -> dict:
    return {
        "kind": x.kind,
        "customer_id": x.customer_id,
        "date": x.as_of.isoformat(),
        "level": x.level or "",
        "reference": x.reference,
        "invoice": x.invoices[0] if len(x.invoices) == 1 else "",
        "customer_name": x.customer_name,
    }


def _drafts(book: Book, made: list[_Made], templates: Path, now: dt.datetime, result: Result) -> None:
    """An .eml beside each PDF, ready to open in Outlook or Thunderbird (`billing send` sends them)."""
    without = 0
    for m in made:
        if m.pdf is None:
            continue
        template = email_template_for(templates / m.letter.template)
        if not template.is_file():
            template = email_template_for(SHIPPED / m.letter.template)
        try:
            message = draft_letter_email(book.settings, m.letter.context, template, m.pdf, now=now)
        except EmailTemplateError as e:
            result.findings.append(
                Finding(WARNING, "draft-failed", template.name, "", f"No e-mail draft: {e}", "Fix the e-mail template.")
            )
            continue
        except ValueError as e:  # the customer's Email is not an address
            result.findings.append(
                Finding(
                    WARNING,
                    "draft-failed",
                    "Customers",
                    "",
                    f"No e-mail draft for {m.letter.customer_id}: its Email is not an address ({e}).",
                    "Fix the Email on the Customers sheet; `billing validate` points at the cell.",
                )
            )
            continue
        if message is None:
            without += 1
            continue
        m.eml = draft_path(m.pdf)
        write_draft(message, m.eml)
    if without:
        result.findings.append(
            Finding(
                WARNING,
                "no-email-address",
                "Customers",
                "",
                f"{without} letter(s) have no e-mail draft: the customer has no Email, or Settings have no Company Email.",
                "Fill the Email column, and Company Email or Email From in Settings.",
            )
        )


def _print_file(made: list[_Made], out: Path, kind: str, as_of: dt.date, result: Result) -> None:
    """One PDF with every letter in print order, for the printer or the post room."""
    pdfs = [m.pdf for m in made if m.pdf]
    if not pdfs:
        return
    writer = PdfWriter()
    for p in pdfs:
        writer.append(str(p))
    stem = naming.NameBook({p.stem for p in out.glob("*.pdf")}).claim(f"print_{kind}_{as_of.isoformat()}")
    buffer = io.BytesIO()
    writer.write(buffer)
    target = write_whole(out / f"{stem}.pdf", buffer.getvalue())
    result.data["print_file"] = str(target)
    result.files.append(str(target))


def _record(m: _Made, now: dt.datetime, folder: Path) -> LetterRecord:
    x = m.letter
    return LetterRecord(
        made_at=now,
        as_of=x.as_of,
        kind=x.kind,
        level=x.level,
        customer_id=x.customer_id,
        invoices=x.invoices,
        docx=_relative(m.docx, folder),
        pdf=_relative(m.pdf, folder) if m.pdf else "",
        sha256=m.sha256,
        status="made",
        period_start=x.period[0] if x.period else None,
        period_end=x.period[1] if x.period else None,
        reference=x.reference,
    )


def _relative(path: Path, folder: Path) -> str:
    """A letter's path as the log keeps it: relative to the workbook, so the folder can move with it."""
    try:
        return os.path.relpath(path.resolve(), folder)
    except ValueError:  # another drive on Windows
        return str(path.resolve())


# --- settings -------------------------------------------------------------------------------------------


def output_folder(book: Book, folder: Path) -> Path:
    """Where letters go: Output Folder in Settings (default "letters"), relative to the workbook's folder."""
    return (folder / str(book.settings.get("Output Folder") or "letters")).resolve()


def templates_folder(book: Book, folder: Path) -> Path | None:
    """The clerk's own templates (Templates Folder, relative to the workbook) or the shipped ones."""
    setting = book.settings.get("Templates Folder")
    if not setting:
        return SHIPPED
    path = (folder / str(setting)).resolve()
    return path if path.is_dir() else None


def _logo(book: Book, folder: Path) -> Path | Finding | None:
    setting = book.settings.get("Logo Path")
    if not setting:
        return None
    path = (folder / str(setting)).resolve()
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif", ".bmp") or not path.is_file():
        return _settings_finding(
            book,
            "Logo Path",
            f"The logo {setting} is not a picture file beside the workbook.",
            "Give the path of a PNG or JPEG file, or leave it blank.",
        )
    return path


def _settings_finding(book: Book, name: str, message: str, hint: str) -> Finding:
    return Finding(
        ERROR, "bad-setting", book.settings.sheet_title or "Settings", book.settings.cells.get(name, ""), message, hint
    )


def _stop(result: Result, finding: Finding) -> Result:
    result.findings.append(finding)
    result.details = "nothing made"
    result.counts["errors"] = len(result.errors)
    return result


def _all_with_insurer(ledger, customer_id: str, insurance: dict[str, str]) -> str | None:
    """Why a patient's whole open balance is still with the insurer (every open invoice's claim unsettled, no
    other charge), or None when something is the patient's to pay."""
    key = customer_id.casefold()
    account = next((c for c in ledger.customers if c.customer_id.casefold() == key), None)
    open_invoices = [i for i in ledger.invoices.values() if i.customer_id.casefold() == key and i.outstanding > 0]
    if not open_invoices or any(i.invoice_no.casefold() not in insurance for i in open_invoices):
        return None
    if account is not None and account.balance != sum(i.outstanding for i in open_invoices):
        return None
    return "; ".join(insurance[i.invoice_no.casefold()] for i in open_invoices)
