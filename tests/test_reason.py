"""Reasoning: the fast engine gives owlrl's answer (the reference) on the seed records, the real
registry files and a synthetic sample, from scratch and after records change.

owlrl is slow (seconds per thousand triples), so it runs once on the union of every corpus and
a few times on the seed records; everything incremental is compared with a from-scratch run of
the fast engine, which the union test ties to owlrl.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef

import graph.resolve.identity as ids
import graph.store.layout as layout
from graph import rdf, summaries
from graph.constants import INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH
from graph.errors import RecordError, TrialgraphError
from graph.model import Condition, Identifier, Organization, TrialRecord
from graph.namespace import ID, TG
from graph.query import named as queries
from graph.reason.closure import ReasoningError
from graph.reason.engine import ENGINES, inferred_for, ontology_graph
from graph.reason.full import recompute
from graph.reason.graphs import WORK_NS, inferred_triples
from graph.reason.incremental import maintain, update_inferred
from graph.reason.reference import owlrl_inferred
from graph.reason.rules import UnsupportedOntology
from graph.sources import read_all
from graph.store.local import OxigraphStore
from graph.store.terms import graph_quads

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SEED_DATA = ROOT / "data"
WHEN = datetime(2024, 1, 1, tzinfo=UTC)

RESSTORE = URIRef(ID + "trial/NCT02849613")
BEIJING = URIRef(ID + "trial/NCT07635758")
ISCHEMIC_STROKE = URIRef(ID + "condition/mesh-D000083242")
#: The seven MeSH terms data/resstore.yaml and data/nct07635758.yaml list above ischemic stroke
#: (D020521, D002561...), in the NLM's ten-character spelling that IRIs use.
STROKE_ANCESTORS = {
    URIRef(ID + f"condition/mesh-D000{d}")
    for d in ("020521", "002561", "001927", "002493", "009422", "014652", "002318")
}


# -- corpora ----------------------------------------------------------------------------------------


def _records(*paths: Path) -> list[TrialRecord]:
    out = [r for r in read_all(paths) if not isinstance(r, RecordError)]
    assert out, f"no records under {paths}"
    return out


def _graph(record: TrialRecord) -> Graph:
    return rdf.record_graph(record, loaded_at=WHEN)


def _name(record: TrialRecord) -> URIRef:
    return ids.record_graph(record.source, record.record_id)


def _copy(record: TrialRecord, k: int) -> TrialRecord:
    """A synthetic trial: a real record under a new NCT id (secondary ids get it as a suffix)."""
    nct = f"NCT9{k:07d}"
    idents = [
        Identifier(i.registry, nct if i.registry == "NCT" else f"{i.value}-{nct}", i.type, i.domain)
        for i in record.identifiers
    ]
    return dataclasses.replace(record, record_id=nct, identifiers=idents)


def _union(records: Iterable[TrialRecord]) -> Graph:
    g = Graph()
    for r in records:
        g += _graph(r)
    return g


def _canon(triples: Iterable[tuple[object, ...]] | Graph) -> set[str]:
    """Triples as Oxigraph writes them, so both engines' terms compare alike."""
    db = ox.Store()
    db.extend(graph_quads(triples if isinstance(triples, Graph) else _as_graph(triples), URIRef("urn:x:g")))
    return {str(q.triple) for q in db}


def _as_graph(triples: Iterable[tuple[object, ...]]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)  # type: ignore[arg-type]
    return g


def _inferred(db: ox.Store) -> set[str]:
    """The union of the store's inferred graphs (each record's own and the shared one)."""
    return {str(q.triple) for q in inferred_triples(db)}


def _assert_same(expected: set[str], actual: set[str], what: str) -> None:
    missing, extra = sorted(expected - actual), sorted(actual - expected)
    if missing or extra:
        lines = [f"{what}: {len(missing)} missing, {len(extra)} extra"]
        lines += [f"  missing {t}" for t in missing[:25]] + [f"  extra   {t}" for t in extra[:25]]
        pytest.fail("\n".join(lines))


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return ontology_graph()


@pytest.fixture(scope="module")
def seed() -> list[TrialRecord]:
    return _records(SEED_DATA)


@pytest.fixture(scope="module")
def real() -> list[TrialRecord]:
    return _records(SHARED_DATA / "ctgov-v2", SHARED_DATA / "ictrp")


@pytest.fixture(scope="module")
def synthetic(real: list[TrialRecord]) -> list[TrialRecord]:
    """Two copies of each small ClinicalTrials.gov record, and one trial of ischemic stroke with
    no MeSH tree of its own: its ancestors come only from the seed records that give the tree."""
    small = [r for r in real if r.source == "ctgov" and len(r.sites) <= 3][:6]
    copies = [_copy(r, k) for k, r in enumerate(small * 2)]
    stroke = dataclasses.replace(
        _copy(small[0], 99), conditions=[Condition("ischemic stroke", mesh="D000083242")], condition_ancestors=[]
    )
    return [*copies, stroke]


@pytest.fixture(scope="module")
def corpus(seed: list[TrialRecord], real: list[TrialRecord], synthetic: list[TrialRecord]) -> list[TrialRecord]:
    return [*seed, *real, *synthetic]


@pytest.fixture(scope="module")
def reference(corpus: list[TrialRecord], ontology: Graph) -> set[str]:
    """owlrl on everything at once (about a minute)."""
    return _canon(owlrl_inferred(_union(corpus), ontology))


def _store(records: Iterable[TrialRecord], ontology: Graph) -> ox.Store:
    db = ox.Store()
    maintain(db, {_name(r): _graph(r) for r in records}, ontology=ontology)
    return db


def _from_scratch(db: ox.Store, ontology: Graph) -> set[str]:
    """The fast engine from nothing, on a copy of the store's premises."""
    fresh = ox.Store()
    fresh.extend(
        q for q in db if isinstance(q.graph_name, ox.NamedNode) and not layout.is_reasoner_graph(q.graph_name.value)
    )
    recompute(fresh, ontology=ontology)
    return _inferred(fresh)


def _leftovers(db: ox.Store) -> list[str]:
    """Scratch data a run must not leave behind."""
    out = [str(q) for q in db.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    out += [g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(WORK_NS)]
    return out


# -- equivalence with owlrl -----------------------------------------------------------------------


def test_reference_holds_what_the_seed_record_entails(reference: set[str]) -> None:
    """Hand-derived from data/resstore.yaml: 4 organisations in 5 roles, 3 ids, 1 intervention,
    ischemic stroke with 7 MeSH terms above it.  (Recruiting countries are asserted there.)"""
    chu, sermas = (
        ids.org_iri(Organization("CHU Grenoble Alpes")),
        ids.org_iri(Organization("Servicio Madrileño de Salud (SERMAS)")),
    )
    medfiles, ec = ids.org_iri(Organization("Medfiles")), ids.org_iri(Organization("European Commission"))
    expected = [
        (RESSTORE, TG.leadSponsor, chu),
        (chu, TG.sponsors, RESSTORE),
        (RESSTORE, TG.coordinator, chu),
        (RESSTORE, TG.coordinator, sermas),
        (RESSTORE, TG.cro, medfiles),
        (RESSTORE, TG.funder, ec),
        *[(RESSTORE, TG.participant, o) for o in (chu, sermas, medfiles, ec)],
        *[(o, TG.participatesIn, RESSTORE) for o in (chu, sermas, medfiles, ec)],
        *[(RESSTORE, TG.meshAncestor, a) for a in STROKE_ANCESTORS],
        (ISCHEMIC_STROKE, TG.conditionOf, RESSTORE),
        (URIRef(ID + "identifier/nct/NCT02849613"), TG.identifierOf, RESSTORE),
        (URIRef(ID + "identifier/eudract/2016-001902-40"), TG.identifierOf, RESSTORE),
        (URIRef(ID + "identifier/ctis/2024-518394-34-00"), TG.identifierOf, RESSTORE),
    ]
    about_resstore = {t for t in reference if str(RESSTORE) + ">" in t}
    assert _canon(expected) <= about_resstore
    # 5 participations (CHU holds two roles) complete the 31 triples the record entails
    participations = {t for t in about_resstore if str(TG.participation) + ">" in t}
    assert len(participations) == 5 and len(about_resstore) == 31


def test_fast_engine_gives_owlrl_answer_on_seed_real_and_synthetic(
    corpus: list[TrialRecord], reference: set[str], ontology: Graph
) -> None:
    _assert_same(reference, _canon(inferred_for(_union(corpus), ontology=ontology)), "fast vs owlrl")


def test_store_with_one_graph_per_record_gives_owlrl_answer(
    corpus: list[TrialRecord], reference: set[str], ontology: Graph
) -> None:
    """In the store shape: one graph per record (shared nodes asserted many times over), the
    ontology graph, and a quarantine graph whose triples must not count."""
    db = ox.Store()
    quarantined = URIRef(QUARANTINE_GRAPH + "/ctgov/NCT00000000")
    junk = Graph()
    junk.add((quarantined, TG.sourceKind, Literal("ctgov")))  # would make it a tg:SourceRecord
    db.extend(graph_quads(junk, URIRef(QUARANTINE_GRAPH)))
    stats = maintain(db, {_name(r): _graph(r) for r in corpus}, ontology=ontology)
    assert stats.mode == "full" and stats.inferred == len(reference)
    _assert_same(reference, _inferred(db), "store vs owlrl")
    assert not _leftovers(db)
    written = {g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode) and layout.is_reasoner_graph(g.value)}
    # each record's own inferences, the shared graph (the stroke trial's ancestors come from other
    # records), the state; support graphs only for what another record asserts
    own = {layout.inferred_graph_of(_name(r)) for r in corpus}
    support = {g for g in written if layout.is_support_graph(g)}
    assert written - support == {INFERRED_GRAPH, layout.STATE_GRAPH} | own
    assert layout.SUPPORT_GRAPH not in support  # nothing about a vocabulary concept is derived
    asserted = {
        str(q.triple)
        for q in db
        if isinstance(q.graph_name, ox.NamedNode) and layout.is_record_graph(q.graph_name.value)
    }
    for g in support:
        hidden = {str(q.triple) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(g))}
        assert hidden <= asserted, f"{g} holds triples no record asserts"
    assert db.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH))


def test_inference_across_records_uses_the_other_records_mesh_tree(
    synthetic: list[TrialRecord], reference: set[str]
) -> None:
    """The synthetic stroke trial names ischemic stroke without ancestors; the seed records give
    the tree, so it gets the same seven ancestors."""
    trial = ids.trial_iri(ids.preferred_identifier(synthetic[-1].identifiers))
    assert {t for t in reference if t.startswith(f"<{trial}> <{TG.meshAncestor}>")} == _canon(
        [(trial, TG.meshAncestor, a) for a in STROKE_ANCESTORS]
    )


# -- the query, with either engine, before and after a record drops its condition ----------------


def _stroke_rows(store: OxigraphStore) -> list[tuple[str, ...]]:
    # the query reads the summary graph, which a build writes after reasoning: write it here too
    with store.write() as w:
        summaries.rebuild(w.staging())
    result = queries.run(store, "trials-by-condition", {"condition": "stroke"})
    return sorted(tuple(str(v) for v in row) for row in result.rows)


def test_trials_by_condition_same_with_either_engine_and_after_a_record_drops_its_condition(
    seed: list[TrialRecord], ontology: Graph
) -> None:
    stores = {engine: OxigraphStore(None) for engine in ENGINES}
    for engine, store in stores.items():
        update_inferred(store, {_name(r): _graph(r) for r in seed}, engine=engine, ontology=ontology)  # type: ignore[arg-type]
    # data/resstore.yaml and data/nct07635758.yaml: ischemic stroke, under Stroke
    expected = sorted(
        [(str(RESSTORE), "NCT02849613", "ischemic stroke"), (str(BEIJING), "NCT07635758", "ischemic stroke")]
    )
    assert _stroke_rows(stores["owlrl"]) == _stroke_rows(stores["fast"]) == expected
    _assert_same(_inferred(stores["owlrl"].reader()), _inferred(stores["fast"].reader()), "fast vs owlrl store")

    resstore = next(r for r in seed if r.record_id == "resstore")
    dropped = {_name(resstore): _graph(dataclasses.replace(resstore, conditions=[]))}
    stats = {e: update_inferred(s, dropped, engine=e, ontology=ontology) for e, s in stores.items()}  # type: ignore[arg-type]
    assert stats["fast"].mode == "incremental"
    assert (
        _stroke_rows(stores["owlrl"])
        == _stroke_rows(stores["fast"])
        == [(str(BEIJING), "NCT07635758", "ischemic stroke")]
    )
    fast = _inferred(stores["fast"].reader())
    _assert_same(_inferred(stores["owlrl"].reader()), fast, "after the change: fast (incremental) vs owlrl")
    _assert_same(
        _from_scratch(stores["fast"].reader(), ontology), fast, "after the change: incremental vs from scratch"
    )
    # what only RESSTORE's condition entailed is gone; what the Beijing trial entails stays
    assert not any(t.startswith(f"<{RESSTORE}> <{TG.meshAncestor}>") for t in fast)
    assert f"<{ISCHEMIC_STROKE}> <{TG.conditionOf}> <{RESSTORE}>" not in fast
    assert {t for t in fast if t.startswith(f"<{BEIJING}> <{TG.meshAncestor}>")} == _canon(
        [(BEIJING, TG.meshAncestor, a) for a in STROKE_ANCESTORS]
    )


# -- incremental maintenance ------------------------------------------------------------------------


def _edits(records: list[TrialRecord], rng: random.Random) -> list[tuple[str, TrialRecord, TrialRecord | None]]:
    """A reproducible mix of every kind of change a refresh can bring."""
    out: list[tuple[str, TrialRecord, TrialRecord | None]] = []
    with_sites = [r for r in records if len(r.sites) > 1]
    with_parts = [r for r in records if len(r.participations) > 1]
    with_broader = [r for r in records if any(c.broader for c in r.conditions)]
    with_conditions = [r for r in records if r.conditions]
    for r in rng.sample(with_conditions, 3):
        out.append(("drop a condition", r, dataclasses.replace(r, conditions=r.conditions[1:])))
    for r in rng.sample(with_broader, 3):
        out.append(
            (
                "drop the MeSH tree",
                r,
                dataclasses.replace(r, conditions=[dataclasses.replace(c, broader=()) for c in r.conditions]),
            )
        )
    for r in rng.sample(with_sites, 2):
        out.append(("drop half the sites", r, dataclasses.replace(r, sites=r.sites[: len(r.sites) // 2])))
    for r in rng.sample(with_parts, 2):
        out.append(("drop a participation", r, dataclasses.replace(r, participations=r.participations[1:])))
    for r in rng.sample(records, 3):
        out.append(("retract", r, None))
    rng.shuffle(out)
    return out


def test_incremental_changes_equal_a_closure_from_scratch(corpus: list[TrialRecord], ontology: Graph) -> None:
    db = _store(corpus, ontology)
    current = {_name(r): r for r in corpus}
    retracted: list[TrialRecord] = []
    for what, old, new in _edits(corpus, random.Random(8)):
        name = _name(old)
        if name not in current:
            continue
        stats = maintain(db, {name: _graph(new) if new else None}, ontology=ontology)
        assert stats.mode == "incremental"
        if new is None:
            retracted.append(current.pop(name))
        else:
            current[name] = new
        _assert_same(_from_scratch(db, ontology), _inferred(db), f"after '{what}' on {old.record_id}")
        assert not _leftovers(db)
    # the retracted records come back, all in one change
    stats = maintain(db, {_name(r): _graph(r) for r in retracted}, ontology=ontology)
    _assert_same(_from_scratch(db, ontology), _inferred(db), "after putting the retracted records back")


def test_mesh_tree_of_one_record_serves_another_until_both_trees_go(
    seed: list[TrialRecord], synthetic: list[TrialRecord], ontology: Graph
) -> None:
    stroke = synthetic[-1]
    trial = ids.trial_iri(ids.preferred_identifier(stroke.identifiers))
    tree_holders = [r for r in seed if r.record_id in ("resstore", "nct07635758")]
    db = _store([*seed, stroke], ontology)

    def ancestors() -> set[str]:
        return {t for t in _inferred(db) if t.startswith(f"<{trial}> <{TG.meshAncestor}>")}

    seven = _canon([(trial, TG.meshAncestor, a) for a in STROKE_ANCESTORS])
    assert ancestors() == seven
    bare = {
        _name(r): _graph(dataclasses.replace(r, conditions=[dataclasses.replace(c, broader=()) for c in r.conditions]))
        for r in tree_holders
    }
    first, second = list(bare)
    maintain(db, {first: bare[first]}, ontology=ontology)
    assert ancestors() == seven  # the other record still asserts the tree
    maintain(db, {second: bare[second]}, ontology=ontology)
    assert ancestors() == set()
    maintain(db, {first: _graph(tree_holders[0])}, ontology=ontology)
    assert ancestors() == seven
    _assert_same(_from_scratch(db, ontology), _inferred(db), "after the trees came and went")


def test_same_records_again_change_nothing(seed: list[TrialRecord], ontology: Graph) -> None:
    db = _store(seed, ontology)
    before = _inferred(db)
    stats = maintain(db, {_name(r): _graph(r) for r in seed}, ontology=ontology)
    assert (stats.mode, stats.overdeleted, stats.rederived) == ("incremental", 0, 0)
    assert _inferred(db) == before
    assert maintain(db, {}, ontology=ontology).mode == "unchanged"


def test_a_changed_ontology_remakes_the_closure(seed: list[TrialRecord], ontology: Graph) -> None:
    db = _store(seed, ontology)
    medfiles = ids.org_iri(Organization("Medfiles"))
    assert f"<{RESSTORE}> <{TG.cro}> <{medfiles}>" in _inferred(db)
    changed = Graph()
    for t in ontology:
        if not (t[0] == TG.cro and t[1] == OWL.propertyChainAxiom):
            changed.add(t)
    stats = maintain(db, {}, ontology=changed)
    assert stats.mode == "full"
    # tg:cro came only from its chain (croParticipation/agent); Medfiles stays a participant
    assert f"<{RESSTORE}> <{TG.cro}> <{medfiles}>" not in _inferred(db)
    assert f"<{RESSTORE}> <{TG.participant}> <{medfiles}>" in _inferred(db)
    _assert_same(_from_scratch(db, changed), _inferred(db), "after the ontology changed")


# -- what the fast engine refuses ------------------------------------------------------------------

EX = "https://w3id.org/trialgraph/ontology#test"


def _tiny(*axioms: tuple[object, object, object]) -> Graph:
    g = Graph()
    for t in axioms:
        g.add(t)  # type: ignore[arg-type]
    return g


def test_a_construct_it_does_not_compile_is_refused_and_owlrl_still_answers() -> None:
    onto = _tiny((URIRef(EX + "Key"), RDF.type, OWL.InverseFunctionalProperty))
    data = _tiny(
        (URIRef("urn:x:a"), URIRef(EX + "Key"), Literal("1")),
        (URIRef("urn:x:b"), URIRef(EX + "Key"), Literal("1")),
        (URIRef("urn:x:a"), URIRef(EX + "name"), Literal("A")),
    )
    with pytest.raises(UnsupportedOntology, match="InverseFunctionalProperty"):
        inferred_for(data, ontology=onto)
    # owlrl makes a and b the same node, so b gets a's name: the answer the fast engine cannot give
    assert (URIRef("urn:x:b"), URIRef(EX + "name"), Literal("A")) in inferred_for(data, engine="owlrl", ontology=onto)


def test_a_literal_a_chain_would_join_through_is_refused() -> None:
    """inv is the inverse of p, and chain = link/inv.  owlrl turns (z p "v") into ("v" inv z),
    then joins (x link "v") with it: (x chain z).  Oxigraph cannot hold ("v" inv z)."""
    p, inv, link, chain = (URIRef(EX + n) for n in ("P", "Inv", "Link", "Chain"))
    lst = URIRef("urn:x:list")
    onto = _tiny((p, OWL.inverseOf, inv), (chain, OWL.propertyChainAxiom, lst))
    from rdflib.collection import Collection

    Collection(onto, lst, [link, inv])
    x, z = URIRef("urn:x:x"), URIRef("urn:x:z")
    data = _tiny((x, link, Literal("v")), (z, p, Literal("v")))
    assert (x, chain, z) in inferred_for(data, engine="owlrl", ontology=onto)
    with pytest.raises(ReasoningError, match="literal"):
        inferred_for(data, ontology=onto)


def test_reasoner_graphs_are_told_apart_from_records() -> None:
    for name in (INFERRED_GRAPH, layout.SUPPORT_GRAPH, layout.STATE_GRAPH, WORK_NS + "plus"):
        assert layout.is_reasoner_graph(name)
    for name in (ONTOLOGY_GRAPH, QUARANTINE_GRAPH, str(ids.record_graph("ctgov", "NCT02849613")), INFERRED_GRAPH + "x"):
        assert not layout.is_reasoner_graph(name)


def test_unknown_engine_and_non_record_graphs_are_usage_errors(ontology: Graph) -> None:
    with pytest.raises(TrialgraphError, match="unknown reasoner"):
        inferred_for(Graph(), engine="hermit", ontology=ontology)  # type: ignore[arg-type]
    with pytest.raises(TrialgraphError, match="not a source-record graph"):
        maintain(ox.Store(), {URIRef(INFERRED_GRAPH): Graph()}, ontology=ontology)


def _graphs(db: ox.Store) -> dict[str, set[str]]:
    """Every named graph of a store, as sets of triples."""
    out: dict[str, set[str]] = {}
    for q in db:
        if isinstance(q.graph_name, ox.NamedNode):
            out.setdefault(q.graph_name.value, set()).add(str(q.triple))
    return out


def test_incremental_changes_leave_the_graphs_a_run_from_scratch_makes(
    corpus: list[TrialRecord], ontology: Graph
) -> None:
    """Graph by graph, not only their union: each record's own inferred graph, its support
    graph and the shared graph are what a run from scratch on the same records writes."""
    db = _store(corpus, ontology)
    current = {_name(r): r for r in corpus}
    for what, old, new in _edits(corpus, random.Random(19)):
        name = _name(old)
        if name not in current:
            continue
        maintain(db, {name: _graph(new) if new else None}, ontology=ontology)
        if new is None:
            current.pop(name)
        else:
            current[name] = new
        fresh = ox.Store()
        fresh.extend(
            q for q in db if isinstance(q.graph_name, ox.NamedNode) and not layout.is_reasoner_graph(q.graph_name.value)
        )
        recompute(fresh, ontology=ontology)
        got, expected = _graphs(db), _graphs(fresh)
        assert got.keys() == expected.keys(), f"after '{what}' on {old.record_id}"
        for g in expected:
            _assert_same(expected[g], got[g], f"graph {g} after '{what}' on {old.record_id}")
