"""Rules as code: a ``rules/`` directory of YAML files, validated, loaded, pushed and pulled.

Layout (one document per file, named after its id)::

    rules/contents/<content-id>.yaml   # a content document (docs/rules-reference.md)
    rules/rules/<rule-id>.yaml         # a rule (docs/rules-reference.md)
    rules/offers/<offer-id>.yaml       # an offer (placements, eligibility, value, lever, content)
    rules/taxonomies/<id>.yaml         # a feedback taxonomy (topics: phrases, keywords, when)
    rules/profile.yaml                 # the profile schema: aggregates kept from events
    rules/segments/<segment-id>.yaml   # a segment: a condition over the profile

``validate_dir`` runs the checks the admin API runs on save (shape, ZEN expressions, Liquid
templates, content references and channels), across files, and names file and field of every
problem. ``load_into_tables`` writes straight to DynamoDB (the local stack); ``push`` and
``pull`` go through the admin API, so versions, validation and audit are the deployed ones.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from herald import expressions, rendering
from herald.domain.content import CONTENT_FIELDS, Content, parse_content
from herald.domain.offer import OFFER_FIELDS
from herald.domain.profile import PROFILE_ID, parse_profile_schema
from herald.domain.rule import RULE_FIELDS, Rule, parse_rule
from herald.domain.segment import parse_segment, reads_event
from herald.domain.taxonomy import TAXONOMY_FIELDS
from herald.domain.version import State
from herald.errors import HeraldError, NotFound

KINDS = ("contents", "rules", "offers", "taxonomies")  # load order: rules reference contents
OTHER_KINDS = ("offers", "taxonomies")  # documents that reference nothing: checked on their own
# The audience documents: loaded and pushed first (segments read the profile's aggregates,
# rules may read segments). ``profiles`` is one file, rules/profile.yaml.
AUDIENCE_KINDS = ("profiles", "segments")
AUDIENCE_FIELDS = {
    "profiles": frozenset({"id", "description", "aggregates"}),
    "segments": frozenset({"id", "name", "when", "description"}),
}
PROFILE_FILE = "profile.yaml"


def _check_other(kind: str, doc: dict) -> dict:
    """The normal document of an offer or a taxonomy (checked for meaning, as on save)."""
    if kind == "offers":
        from herald.service import offer_catalogue

        return offer_catalogue.check(doc).offer.to_doc()
    from herald.service import customer_feedback

    return customer_feedback.check(doc).to_doc()


@dataclass(frozen=True)
class OtherDocument:
    """An offer or a taxonomy, normal form; ``to_doc`` as contents and rules have it."""

    kind: str
    id: str
    doc: dict

    def to_doc(self) -> dict:
        return self.doc


def validate_others(path: Path | str) -> list[OtherDocument]:
    """The offers and taxonomies of the directory; raise :class:`InvalidRules` like
    :func:`validate_dir` (which checks them too)."""
    docs, found = _read_dir(Path(path))
    out = []
    for item in docs:
        if item.kind not in OTHER_KINDS:
            continue
        try:
            out.append(OtherDocument(item.kind, item.doc["id"], _check_other(item.kind, item.doc)))
        except HeraldError as exc:
            found.append(Problem(str(item.path), exc.field, exc.message))
    if found:
        raise InvalidRules(found)
    return out


SUFFIXES = (".yaml", ".yml")
HTTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file."""

    file: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class InvalidRules(HeraldError):
    """The directory has problems; ``problems`` lists every one (file, field, message)."""

    code = "invalid_rules"

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = problems


class ApiError(HeraldError):
    """The admin API refused a request (status, code and message from its error body)."""

    code = "api_error"


@dataclass(frozen=True)
class Document:
    kind: str  # contents | rules
    path: Path
    doc: dict


# ---------------------------------------------------------------------- reading
def _read_dir(path: Path) -> tuple[list[Document], list[Problem]]:
    root = Path(path)
    if not any((root / kind).is_dir() for kind in KINDS):
        return [], [Problem(str(root), None, "no contents/ or rules/ directory here")]
    docs, problems = [], []
    for kind in KINDS:
        folder = root / kind
        files = (
            sorted(p for p in folder.glob("*") if p.suffix in SUFFIXES) if folder.is_dir() else []
        )
        for file in files:
            try:
                doc = _read_file(file)
            except ValueError as exc:
                problems.append(Problem(str(file), None, str(exc)))
                continue
            if doc.get("id") != file.stem:
                problems.append(
                    Problem(
                        str(file),
                        "id",
                        f"id {doc.get('id')!r} must match the file name {file.stem!r}",
                    )
                )
                continue
            docs.append(Document(kind, file, doc))
    return _read_audiences(root, docs, problems)


def _read_audiences(
    root: Path, docs: list[Document], problems: list[Problem]
) -> tuple[list[Document], list[Problem]]:
    """rules/profile.yaml and rules/segments/*.yaml, when there."""
    files = [("profiles", root / PROFILE_FILE)] if (root / PROFILE_FILE).is_file() else []
    folder = root / "segments"
    if folder.is_dir():
        files += [("segments", p) for p in sorted(folder.glob("*")) if p.suffix in SUFFIXES]
    for kind, file in files:
        try:
            doc = _read_file(file)
        except ValueError as exc:
            problems.append(Problem(str(file), None, str(exc)))
            continue
        expected = PROFILE_ID if kind == "profiles" else file.stem
        if kind == "profiles":
            doc.setdefault("id", PROFILE_ID)
        if doc.get("id") != expected:
            problems.append(Problem(str(file), "id", f"id {doc.get('id')!r} must be {expected!r}"))
            continue
        docs.append(Document(kind, file, doc))
    return docs, problems


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. (YAML 1.1 reads a rule's ``on:`` key as True.)"""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str) -> Any:
    """Parse YAML as rule files mean it (``on``, ``yes``, ``no`` stay strings)."""
    return yaml.load(text, Loader=_Loader)  # safe: _Loader is a SafeLoader


def _read_file(file: Path) -> dict:
    try:
        doc = parse_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValueError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(doc, dict):
        raise ValueError("must hold one mapping (a rule or a content document)")
    return doc


# ---------------------------------------------------------------------- validating
def problems(path: Path | str) -> list[Problem]:
    """Every problem in the directory (empty when it is valid)."""
    return _check(Path(path))[2] + _check_audiences(Path(path))[1]


def validate_dir(path: Path | str) -> tuple[list[Content], list[Rule]]:
    """Parse and check every document; raise :class:`InvalidRules` listing every problem."""
    contents, rules, found = _check(Path(path))
    found += _check_audiences(Path(path))[1]
    if found:
        raise InvalidRules(found)
    return contents, rules


def validate_audiences(path: Path | str) -> list[tuple[str, Any]]:
    """The profile schema and segments of the directory as (kind, parsed document), checked."""
    parsed, found = _check_audiences(Path(path))
    if found:
        raise InvalidRules(found)
    return parsed


def _check_audiences(path: Path) -> tuple[list[tuple[str, Any]], list[Problem]]:
    docs, found = _read_dir(path)
    found = [p for p in found if _audience_file(p.file)]
    parsed: list[tuple[str, Any]] = []
    for item in docs:
        if item.kind not in AUDIENCE_KINDS:
            continue
        try:
            if item.kind == "profiles":
                parsed.append((item.kind, parse_profile_schema(item.doc)))
            else:
                segment = parse_segment(item.doc)
                if reads_event(expressions.compile_condition(segment.when).paths):
                    found.append(
                        Problem(str(item.path), "when", "a segment has no event: read customer")
                    )
                    continue
                parsed.append((item.kind, segment))
        except HeraldError as exc:
            found.append(Problem(str(item.path), exc.field, exc.message))
    parsed.sort(key=lambda kp: AUDIENCE_KINDS.index(kp[0]))
    return parsed, found


def _check(path: Path) -> tuple[list[Content], list[Rule], list[Problem]]:
    docs, found = _read_dir(path)
    docs = [d for d in docs if d.kind in KINDS]
    found = [p for p in found if not _audience_file(p.file)]
    # Every content file's id, valid or not: a rule naming a broken content is not "unknown".
    known = {d.doc["id"] for d in docs if d.kind == "contents"}
    contents: dict[str, Content] = {}
    rules: list[tuple[Rule, Path]] = []
    for item in docs:
        try:
            if item.kind in OTHER_KINDS:
                _check_other(item.kind, item.doc)
            elif item.kind == "contents":
                content = parse_content(item.doc)
                rendering.check_content(content)
                contents[content.id] = content
            else:
                rule = parse_rule(item.doc)
                rules.append((rule, item.path))
                if rule.when is not None:
                    expressions.validate(rule.when)
                if rule.goal is not None and rule.goal.value is not None:
                    expressions.compile_value(rule.goal.value, "goal.value")
        except HeraldError as exc:
            found.append(Problem(str(item.path), exc.field, exc.message))
    for rule, file in rules:
        found += _reference_problems(rule, file, known, contents)
    broken_files = {p.file for p in found}
    return (
        list(contents.values()),
        [r for r, f in rules if str(f) not in broken_files],
        found,
    )


def _reference_problems(
    rule: Rule, file: Path, known: set[str], contents: dict[str, Content]
) -> list[Problem]:
    """Content a rule sends or offers must exist in the directory, with the channel used."""
    found = []
    for use in rule.content_uses():
        field, ref, channel = use.field, use.ref, use.channel
        if ref.id not in known:
            message = f"unknown content {ref.id!r} (no contents/{ref.id}.yaml)"
            found.append(Problem(str(file), field, message))
        elif ref.id in contents and channel and channel not in contents[ref.id].channels:
            found.append(Problem(str(file), field, f"content {ref.id!r} has no {channel} channel"))
    return found


def _audience_file(file: str) -> bool:
    return Path(file).parent.name == "segments" or Path(file).name == PROFILE_FILE


def _normal(kind: str, doc: dict) -> dict:
    """The canonical, JSON-safe form of a document (YAML dates become ISO strings)."""
    if kind in OTHER_KINDS:
        return _check_other(kind, doc)
    if kind == "profiles":
        return parse_profile_schema(doc).to_doc()
    if kind == "segments":
        return parse_segment(doc).to_doc()
    return (parse_content(doc) if kind == "contents" else parse_rule(doc)).to_doc()


# ---------------------------------------------------------------------- direct load
def load_into_tables(
    path: Path | str, user: str = "rules-loader", echo: Callable[[str], None] = print
) -> list[tuple[str, str, int, str]]:
    """Create or version every document in DynamoDB, then publish it; one line per item.

    Needs the tables' environment (the local stack's). Returns (kind, id, version, what) rows.
    """
    from herald.dal import versions  # lazily: validate and push need no pynamodb

    contents, rules = validate_dir(path)
    others = validate_others(path)
    audiences = validate_audiences(path)
    stores = {"profiles": versions.profiles, "segments": versions.segments}
    done = []
    for kind, store, items in (
        *((kind, stores[kind], [item]) for kind, item in audiences),
        ("contents", versions.contents, contents),
        ("rules", versions.rules, rules),
        ("offers", versions.offers, [o for o in others if o.kind == "offers"]),
        ("taxonomies", versions.taxonomies, [o for o in others if o.kind == "taxonomies"]),
    ):
        for item in items:
            version, what = _upsert_version(store, kind, item.to_doc(), user)
            echo(f"  {_singular(kind):7} {item.id:28} v{version} {what}")
            done.append((kind, item.id, version, what))
    return done


def _singular(kind: str) -> str:
    return "taxonomy" if kind == "taxonomies" else kind[:-1]


def _upsert_version(store: Any, kind: str, doc: dict, user: str) -> tuple[int, str]:
    """Create, or save a new version if the document changed; publish it (each step audited)."""
    entity_id = doc["id"]
    try:
        head = store.head(entity_id)
    except NotFound:
        version, what, live = store.create(entity_id, doc, user).version, "created", None
    else:
        live = head.live_version
        latest = store.version(entity_id, head.latest_version)
        if _normal(kind, latest.doc) == doc:
            version, what = head.latest_version, "unchanged"
        else:
            version = store.save(entity_id, doc, head.latest_version, user).version
            what = "new version"
        if live == version:
            return version, what + ", already live"
    store.set_live(entity_id, version, State.LIVE, user)
    return version, what + ", published"


# ---------------------------------------------------------------------- admin API
class AdminClient:
    """A small JSON client for the admin API (urllib; bearer token)."""

    def __init__(self, api_url: str, token: str):
        self.base = api_url.rstrip("/")
        self.authorization = token if token.startswith("Bearer ") else f"Bearer {token}"

    def call(self, method: str, path: str, body: dict | None = None) -> Any:
        """Send a request; return the decoded JSON; raise :class:`ApiError` on 4xx/5xx."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", self.authorization)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise _api_error(method, path, exc) from exc
        except urllib.error.URLError as exc:
            raise ApiError(f"{method} {self.base}{path}: {exc.reason}") from exc
        return json.loads(raw) if raw else None


def _api_error(method: str, path: str, exc: urllib.error.HTTPError) -> ApiError:
    try:
        error = json.loads(exc.read() or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or exc.reason
    err = ApiError(
        f"{method} {path}: {exc.code} {error.get('code', '')} {message}".strip(),
        field=error.get("field"),
    )
    err.status = exc.code
    err.detail = message  # the API's own words, without the method and path
    return err


def _doc_of(kind: str, body: Any) -> dict:
    """The document in an admin API answer: under ``doc``, or the answer's own fields."""
    if isinstance(body, dict) and isinstance(body.get("doc"), dict):
        return body["doc"]
    if kind in AUDIENCE_FIELDS:
        return {k: v for k, v in (body or {}).items() if k in AUDIENCE_FIELDS[kind]}
    allowed = {
        "contents": CONTENT_FIELDS,
        "rules": RULE_FIELDS,
        "offers": OFFER_FIELDS,
        "taxonomies": TAXONOMY_FIELDS,
    }[kind]
    return {k: v for k, v in (body or {}).items() if k in allowed}


def _items(body: Any, *keys: str) -> list[dict]:
    if isinstance(body, list):
        return body
    for key in keys:
        if isinstance(body, dict) and isinstance(body.get(key), list):
            return body[key]
    return []


APPROVER_MUST_PUBLISH = "an approver must publish it"


def push(
    path: Path | str,
    api_url: str,
    token: str,
    echo: Callable[[str], None] = print,
    publish_token: str | None = None,
    dry_run: bool = False,
) -> list[tuple[str, str, int, str]]:
    """Send the directory to a running stack: a new version where a file changed, then publish.

    Only what changed is written: a file equal to the live version is left alone (pull then push
    is a no-op). Publishing needs an approver: with a marketer's token the changes are saved as
    drafts and each line says that an approver must publish it (nothing fails half-way). Under
    the two-person rule (on by default) nobody publishes a version they wrote, so an approver
    pushing their own changes passes a second approver's ``publish_token``, or the second
    approver pushes the same files later (the drafts are then published as they are).
    ``dry_run`` reads and reports, and writes nothing.
    """
    from herald_dev import tokens

    contents, rules = validate_dir(path)
    others = validate_others(path)
    audiences = validate_audiences(path)
    client = AdminClient(api_url, token)
    publisher = AdminClient(api_url, publish_token) if publish_token else client
    groups = tokens.groups_of(publish_token or token)
    may_publish = groups is None or "approvers" in groups  # None: the token doesn't say; try
    done = []
    for kind, items in (
        *((kind, [item]) for kind, item in audiences),
        ("contents", contents),
        ("rules", rules),
        ("offers", [o for o in others if o.kind == "offers"]),
        ("taxonomies", [o for o in others if o.kind == "taxonomies"]),
    ):
        for item in items:
            version, what = _push_one(client, publisher, kind, item.to_doc(), may_publish, dry_run)
            echo(f"  {_singular(kind):7} {item.id:28} v{version} {what}")
            done.append((kind, item.id, version, what))
    waiting = [d for d in done if d[3].endswith(APPROVER_MUST_PUBLISH)]
    if waiting:
        echo(
            f"{len(waiting)} draft(s) wait for an approver: they publish in the console, or run "
            "`herald rules push` on these files with their own token (under the two-person rule, "
            "not the one who wrote the drafts)"
        )
    return done


def _push_one(
    client: AdminClient,
    publisher: AdminClient,
    kind: str,
    doc: dict,
    may_publish: bool,
    dry_run: bool,
) -> tuple[int, str]:
    base = f"/admin/{kind}"
    item_path = f"{base}/{quote(doc['id'])}"
    would = "would be " if dry_run else ""
    try:
        current = client.call("GET", item_path)
    except ApiError as exc:
        if exc.status != 404:
            raise
        if dry_run:
            return 1, "would be created"
        version = int(client.call("POST", base, doc)["version"])
        return version, _publish(publisher, item_path, version, "created", may_publish)
    latest = int(current.get("latest_version") or current["version"])
    published = current.get("published_version")
    entity_state = current.get("entity_state")
    if entity_state == State.ARCHIVED:
        return latest, "archived: left alone (an archived document takes no new versions)"
    if _normal(kind, _doc_of(kind, current)) == doc:
        if published == latest and entity_state == State.LIVE:
            return latest, "unchanged, already live"
        if published == latest and entity_state == State.PAUSED:
            return latest, "unchanged, paused (left paused)"
        if dry_run:
            return (
                latest,
                f"unchanged draft, {would}published" if may_publish else "unchanged draft",
            )
        return latest, _publish(publisher, item_path, latest, "unchanged draft", may_publish)
    if (
        published
        and published != latest
        and _equals_version(client, kind, item_path, published, doc)
    ):
        return int(published), f"unchanged, already {entity_state} (draft v{latest} left alone)"
    if dry_run:
        return latest + 1, f"changed: {would}saved as v{latest + 1}" + (
            f" and {would}published" if may_publish else ""
        )
    saved = client.call("PUT", item_path, {**doc, "expected_version": latest})
    version = int(saved["version"])
    return version, _publish(publisher, item_path, version, "new version", may_publish)


def _equals_version(
    client: AdminClient, kind: str, item_path: str, version: int, doc: dict
) -> bool:
    versions = _items(client.call("GET", f"{item_path}/versions"), "items", "versions")
    found = next((v for v in versions if int(v.get("version", 0)) == int(version)), None)
    return found is not None and _normal(kind, _doc_of(kind, found)) == doc


def _publish(publisher: AdminClient, item_path: str, version: int, what: str, may: bool) -> str:
    """Publish ``version``, or say why it waits: the caller is no approver, or wrote it."""
    if not may:
        return f"{what}, a draft: {APPROVER_MUST_PUBLISH}"
    try:
        publisher.call("POST", f"{item_path}/publish", {"version": version})
    except ApiError as exc:
        if exc.status != 403:
            raise
        return f"{what}, a draft ({getattr(exc, 'detail', exc.message)}): {APPROVER_MUST_PUBLISH}"
    return f"{what}, published"


def pull(
    api_url: str, token: str, path: Path | str, echo: Callable[[str], None] = print
) -> list[Path]:
    """Write the live version of every rule and content into ``path``'s files.

    A file whose document equals the live version is not touched, so its comments, quoting, key
    order and dates stay as written (git shows no change); only new and changed documents are
    written. Returns the files written.
    """
    client = AdminClient(api_url, token)
    written = []
    for kind in AUDIENCE_KINDS + KINDS:
        folder = Path(path) / (kind if kind != "profiles" else "")
        for head in _items(client.call("GET", f"/admin/{kind}"), "items", kind):
            live = head.get("published_version")
            if not live or head.get("state") != State.LIVE:
                if head.get("state") == State.PAUSED:
                    echo(
                        f"  {kind[:-1]:7} {head['id']:28} paused: not pulled (nothing of it is live)"
                    )
                continue
            versions = _items(
                client.call("GET", f"/admin/{kind}/{quote(head['id'])}/versions"),
                "items",
                "versions",
            )
            found = next((v for v in versions if int(v.get("version", 0)) == int(live)), None)
            if found is None:
                raise ApiError(
                    f"{kind[:-1]} {head['id']}: version {live} is not in its version list"
                )
            doc = _normal(kind, _doc_of(kind, found))
            file = (
                Path(path) / PROFILE_FILE if kind == "profiles" else _file_for(folder, head["id"])
            )
            what = _compare(kind, file, doc)
            if what != "unchanged":
                folder.mkdir(parents=True, exist_ok=True)
                file.write_text(dump_yaml(doc), encoding="utf-8")
                written.append(file)
            echo(f"  {kind[:-1]:7} {head['id']:28} v{live} {what} → {file}")
    return written


def _file_for(folder: Path, entity_id: str) -> Path:
    """The existing file of ``entity_id`` (.yaml or .yml), else a new .yaml."""
    for suffix in SUFFIXES:
        if (folder / f"{entity_id}{suffix}").exists():
            return folder / f"{entity_id}{suffix}"
    return folder / f"{entity_id}.yaml"


def _compare(kind: str, file: Path, doc: dict) -> str:
    """unchanged | changed | new: the file against the live document, compared as documents."""
    if not file.exists():
        return "new"
    try:
        ours = _normal(kind, _read_file(file))
    except (ValueError, HeraldError):
        return "changed"  # a broken file is replaced by the live version
    return "unchanged" if ours == doc else "changed"


# ---------------------------------------------------------------------- writing YAML
class _Dumper(yaml.SafeDumper):
    pass


# Same booleans as the loader, so the ``on`` key is written bare, as people write it.
_Dumper.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line templates read best as literal blocks, as a marketer would write them.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dict(dumper: yaml.SafeDumper, value: dict) -> yaml.Node:
    # Small mappings of short scalars (an action's body, an active window) on one line.
    flat = all(
        isinstance(v, int | float | bool) or (isinstance(v, str) and "\n" not in v)
        for v in value.values()
    )
    flow = flat and len(json.dumps(value, default=str)) <= 80
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)


def dump_yaml(doc: dict) -> str:
    """A document as readable YAML (key order kept, multi-line strings as blocks)."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
