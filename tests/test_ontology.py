"""The ontology, vocabulary and alignment files: they parse, agree with ``graph.namespace.TG`` and
``graph.normalize.vocab.ENUMS``, give the inferences the rest of trialgraph relies on, add no foreign
types to data, and are kept in canonical Turtle."""

from __future__ import annotations

import re
from pathlib import Path

import owlrl
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef, namespace
from rdflib.collection import Collection
from rdflib.namespace import OWL, PROV, SKOS

from graph.constants import GRAPH_NS, ID_NS, ONTOLOGY_DIR, ONTOLOGY_IRI, ONTOLOGY_NS, VOCAB_NS
from graph.namespace import FHIR, SCHEMA, TG, VOCAB, concept
from graph.normalize.registry_ids import REGISTRIES
from graph.normalize.vocab import ENUMS
from graph.resolve.identity import registry_iri

from .conftest import turtle_graph

try:  # `python -m pytest` (make test) puts the checkout on sys.path; plain `pytest` only tests/
    from tests.canonical import FIX_COMMAND, canonical_text, canonical_turtle, main
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest was started
    from canonical import FIX_COMMAND, canonical_text, canonical_turtle, main  # type: ignore[no-redef]

ONTOLOGY_FILE = ONTOLOGY_DIR / "trialgraph.ttl"
VOCAB_FILE = ONTOLOGY_DIR / "vocab.ttl"
ALIGNMENTS_FILE = ONTOLOGY_DIR / "alignments.ttl"
TTL_FILES = sorted(ONTOLOGY_DIR.glob("*.ttl"))

#: The controlled-value properties and the scheme of their values, written out by hand from
#: the comments in graph/namespace.py (not read from graph.namespace.SCHEMES, so the test
#: checks that mapping too).
CONTROLLED = {
    "phase": "phase",
    "status": "status",
    "lastKnownStatus": "status",
    "siteStatus": "status",
    "countryStatus": "status",
    "studyType": "study-type",
    "allocation": "allocation",
    "interventionModel": "intervention-model",
    "primaryPurpose": "primary-purpose",
    "masking": "masking",
    "interventionType": "intervention-type",
    "role": "role",
    "agencyClass": "agency-class",
    "sex": "sex",
    "startDateType": "date-type",
    "primaryCompletionDateType": "date-type",
    "completionDateType": "date-type",
    "enrollmentType": "enrollment-type",
    "armType": "arm-type",
    "outcomeKind": "outcome-kind",
    "cellOrigin": "cell-origin",
    "officialRole": "official-role",
}

#: Shortcut property -> the qualified property it is derived from (with tg:agent).
SHORTCUTS = {
    "leadSponsor": "leadSponsorParticipation",
    "collaborator": "collaboratorParticipation",
    "funder": "funderParticipation",
    "consortiumPartner": "consortiumPartnerParticipation",
    "coordinator": "coordinatorParticipation",
    "clinicalCentre": "clinicalCentreParticipation",
    "cellTherapyUnit": "cellTherapyUnitParticipation",
    "laboratory": "laboratoryParticipation",
    "cro": "croParticipation",
}

INVERSES = {
    "sponsors": "leadSponsor",
    "participatesIn": "participant",
    "identifierOf": "identifier",
    "siteOf": "site",
    "conditionOf": "condition",
    "interventionOf": "intervention",
}

SKOS_MAPPINGS = {SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return turtle_graph(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def vocab() -> Graph:
    return turtle_graph(VOCAB_FILE)


@pytest.fixture(scope="module")
def alignments() -> Graph:
    return turtle_graph(ALIGNMENTS_FILE)


def _tg(name: str) -> URIRef:
    return URIRef(ONTOLOGY_NS + name)


def _literals(graph: Graph, subject: URIRef, predicate: URIRef) -> list[Literal]:
    values = list(graph.objects(subject, predicate))
    assert all(isinstance(v, Literal) for v in values), f"{subject} {predicate}: {values}"
    return [v for v in values if isinstance(v, Literal)]


def _tg_terms() -> set[str]:
    return {name for name in TG.__annotations__ if not name.startswith("_")}


def _local(term: object) -> str:
    return str(term)[len(ONTOLOGY_NS) :]


# -- (a) the files parse ------------------------------------------------------------------------


def test_ontology_folder_holds_the_three_files() -> None:
    assert {"alignments.ttl", "trialgraph.ttl", "vocab.ttl"} <= {f.name for f in TTL_FILES}


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: p.name)
def test_file_parses_as_one_ontology_without_imports(path: Path) -> None:
    graph = turtle_graph(path)
    ontologies = set(graph.subjects(RDF.type, OWL.Ontology))
    assert len(ontologies) == 1, f"{path.name}: expected one owl:Ontology, found {ontologies}"
    imports = list(graph.triples((None, OWL.imports, None)))
    assert imports == [], f"{path.name} must not owl:imports anything: {imports}"


def test_ontology_iri_and_metadata(ontology: Graph) -> None:
    assert set(ontology.subjects(RDF.type, OWL.Ontology)) == {URIRef(ONTOLOGY_IRI)}
    assert (URIRef(ONTOLOGY_IRI), RDFS.label, Literal("trialgraph ontology", lang="en")) in ontology


# -- (b) trialgraph.ttl declares exactly the terms of graph.namespace.TG ---------------------------


def _declared(ontology: Graph, kind: URIRef) -> set[str]:
    return {_local(s) for s in ontology.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY_NS)}


def test_declared_terms_equal_namespace_terms(ontology: Graph) -> None:
    declared = (
        _declared(ontology, OWL.Class)
        | _declared(ontology, OWL.ObjectProperty)
        | _declared(ontology, OWL.DatatypeProperty)
    )
    expected = _tg_terms()
    missing = sorted(expected - declared)
    extra = sorted(declared - expected)
    assert not missing and not extra, (
        f"in graph.namespace.TG but not declared in trialgraph.ttl: {missing}; "
        f"declared in trialgraph.ttl but not in graph.namespace.TG: {extra}"
    )


def test_no_undeclared_tg_term_is_used(ontology: Graph, alignments: Graph, vocab: Graph) -> None:
    """A typo such as tg:leadSponser anywhere in the three files would make a term nobody declared."""
    used = {
        _local(node)
        for graph in (ontology, alignments, vocab)
        for triple in graph
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(ONTOLOGY_NS)
    }
    assert sorted(used - _tg_terms()) == []


def test_classes_are_the_capitalised_terms(ontology: Graph) -> None:
    classes = _declared(ontology, OWL.Class)
    assert classes == {t for t in _tg_terms() if t[0].isupper()}
    assert "Participation" in classes and "participation" not in classes


def test_each_term_has_one_kind_a_label_and_a_comment(ontology: Graph) -> None:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    for name in sorted(_tg_terms()):
        term = _tg(name)
        found = [k for k in kinds if (term, RDF.type, k) in ontology]
        assert len(found) == 1, f"tg:{name} is declared as {found}"
        labels = _literals(ontology, term, RDFS.label)
        comments = _literals(ontology, term, RDFS.comment)
        assert len(labels) == 1 and labels[0].language == "en", f"tg:{name} label: {labels}"
        assert len(comments) == 1 and comments[0].language == "en", f"tg:{name} comment"
        assert len(str(comments[0])) > 20, f"tg:{name}: the comment says too little"


def test_controlled_value_properties_range_over_their_scheme(ontology: Graph, vocab: Graph) -> None:
    for name, scheme in CONTROLLED.items():
        prop = _tg(name)
        assert (prop, RDF.type, OWL.ObjectProperty) in ontology, name
        assert set(ontology.objects(prop, RDFS.range)) == {SKOS.Concept}, name
        assert (prop, RDFS.seeAlso, VOCAB[scheme]) in ontology, name
        assert (VOCAB[scheme], RDF.type, SKOS.ConceptScheme) in vocab, scheme


def test_dates_are_unconstrained_literals(ontology: Graph) -> None:
    """Dates keep the precision of their source (xsd:gYear, xsd:gYearMonth or xsd:date), so the
    ontology must not narrow them to one datatype."""
    for name in ("startDate", "primaryCompletionDate", "completionDate", "registrationDate"):
        assert (_tg(name), RDF.type, OWL.DatatypeProperty) in ontology
        assert set(ontology.objects(_tg(name), RDFS.range)) == {RDFS.Literal}, name


def test_shortcuts_are_property_chains_over_the_qualified_form(ontology: Graph) -> None:
    def chain(prop: URIRef) -> list[URIRef]:
        head = ontology.value(prop, OWL.propertyChainAxiom)
        assert head is not None, f"{prop} has no owl:propertyChainAxiom"
        return [URIRef(str(x)) for x in Collection(ontology, head)]

    for shortcut, qualified in SHORTCUTS.items():
        assert chain(_tg(shortcut)) == [_tg(qualified), TG.agent]
        assert (_tg(shortcut), RDFS.subPropertyOf, TG.participant) in ontology
        assert (_tg(qualified), RDFS.subPropertyOf, TG.participation) in ontology
        assert (_tg(qualified), RDFS.seeAlso, concept("role", _role_value(shortcut))) in ontology
    assert chain(TG.participant) == [TG.participation, TG.agent]
    assert chain(TG.recruitsIn) == [TG.site, TG.country]


def _role_value(shortcut: str) -> str:
    """leadSponsor -> LEAD_SPONSOR; cro -> CRO."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", shortcut).upper()


def test_inverses_and_transitive_properties(ontology: Graph) -> None:
    for inverse, prop in INVERSES.items():
        assert (_tg(inverse), OWL.inverseOf, _tg(prop)) in ontology, inverse
    for name in ("broaderCondition", "broaderIntervention"):
        assert (_tg(name), RDF.type, OWL.TransitiveProperty) in ontology, name


def test_source_record_is_a_prov_entity(ontology: Graph) -> None:
    assert (TG.SourceRecord, RDFS.subClassOf, PROV.Entity) in ontology


# -- (c) vocab.ttl holds exactly graph.normalize.vocab.ENUMS -------------------------------------------


def test_schemes_equal_enums(vocab: Graph) -> None:
    schemes = {str(s)[len(VOCAB_NS) :] for s in vocab.subjects(RDF.type, SKOS.ConceptScheme)}
    assert schemes == set(ENUMS), f"missing {set(ENUMS) - schemes}, extra {schemes - set(ENUMS)}"


@pytest.mark.parametrize("scheme", sorted(ENUMS))
def test_concepts_of_scheme_equal_enum_values(vocab: Graph, scheme: str) -> None:
    in_scheme = set(vocab.subjects(SKOS.inScheme, VOCAB[scheme]))
    expected = {concept(scheme, value) for value in ENUMS[scheme]}
    assert in_scheme == expected, (
        f"vocab/{scheme}: missing {sorted(map(str, expected - in_scheme))}, "
        f"extra {sorted(map(str, in_scheme - expected))}"
    )
    for value in ENUMS[scheme]:
        iri = concept(scheme, value)
        assert (iri, RDF.type, SKOS.Concept) in vocab
        notations = _literals(vocab, iri, SKOS.notation)
        assert notations == [Literal(value)], f"{iri} notation {notations!r}"
        assert notations[0].datatype is None and notations[0].language is None
        labels = _literals(vocab, iri, SKOS.prefLabel)
        assert len(labels) == 1 and labels[0].language == "en", f"{iri} prefLabel {labels!r}"


def test_all_concepts_belong_to_one_scheme(vocab: Graph) -> None:
    for iri in vocab.subjects(RDF.type, SKOS.Concept):
        assert len(list(vocab.objects(iri, SKOS.inScheme))) == 1, iri


def test_pref_labels_read_like_people_write_them(vocab: Graph) -> None:
    expected = {
        concept("phase", "PHASE1"): "Phase 1",
        concept("phase", "EARLY_PHASE1"): "Early Phase 1",
        concept("phase", "NA"): "Not applicable",
        concept("status", "ACTIVE_NOT_RECRUITING"): "Active, not recruiting",
        concept("role", "LEAD_SPONSOR"): "Lead sponsor",
        concept("intervention-type", "BIOLOGICAL"): "Biological",
        concept("registry", "NCT"): "ClinicalTrials.gov",
    }
    for iri, label in expected.items():
        assert vocab.value(iri, SKOS.prefLabel) == Literal(label, lang="en"), iri


def test_registry_individuals(vocab: Graph) -> None:
    registries = set(vocab.subjects(RDF.type, TG.Registry))
    assert len(registries) == 25
    assert registries == {registry_iri(key) for key in REGISTRIES}
    for key, (label, pattern) in REGISTRIES.items():
        iri = registry_iri(key)
        assert vocab.value(iri, RDFS.label) == Literal(label, lang="en"), key
        assert list(vocab.objects(iri, SKOS.exactMatch)) == [concept("registry", key)], key
        patterns = list(vocab.objects(iri, TG.idPattern))
        assert patterns == ([Literal(pattern)] if pattern else []), key
    assert registry_iri("NCT") == URIRef(ID_NS + "registry/nct")


def test_registry_patterns_match_real_ids(vocab: Graph) -> None:
    """The patterns survive Turtle escaping: ids of the trial in the design notes still match."""

    def pattern(key: str) -> re.Pattern[str]:
        value = vocab.value(registry_iri(key), TG.idPattern)
        assert value is not None, key
        return re.compile(str(value))

    assert pattern("NCT").match("NCT02849613")
    assert pattern("EUDRACT").match("2016-001902-40")
    assert not pattern("NCT").match("NCT0284961")
    assert not pattern("EUDRACT").match("2016-001902-40-01")
    assert pattern("CTIS").match("2016-001902-40-01")


# -- alignments ---------------------------------------------------------------------------------


def test_alignments_are_annotations_only(alignments: Graph) -> None:
    """Only SKOS mapping annotations, so an OWL RL reasoner draws nothing from them."""
    allowed = SKOS_MAPPINGS | {RDF.type, RDFS.label, RDFS.comment, URIRef("http://purl.org/dc/terms/description")}
    predicates = set(alignments.predicates())
    assert predicates <= allowed, predicates - allowed
    for prop in SKOS_MAPPINGS:
        assert (prop, RDF.type, OWL.AnnotationProperty) in alignments, prop
    for s, p, o in alignments:
        if p in SKOS_MAPPINGS:
            assert str(o).startswith((str(SCHEMA), str(FHIR), str(PROV))), (s, p, o)


def test_alignment_subjects_exist(ontology: Graph, alignments: Graph, vocab: Graph) -> None:
    for s in set(alignments.subjects()):
        if str(s).startswith(ONTOLOGY_NS):
            assert (s, RDF.type, None) in ontology, f"alignment for undeclared {s}"
        elif str(s).startswith(VOCAB_NS):
            assert (s, RDF.type, SKOS.Concept) in vocab, f"alignment for unknown concept {s}"


def test_key_alignments(alignments: Graph) -> None:
    assert (TG.Trial, SKOS.closeMatch, FHIR["ResearchStudy"]) in alignments
    assert (TG.Trial, SKOS.narrowMatch, SCHEMA.MedicalTrial) in alignments
    assert (TG.phase, SKOS.exactMatch, FHIR["ResearchStudy.phase"]) in alignments
    assert (TG.Participation, SKOS.closeMatch, FHIR["ResearchStudy.associatedParty"]) in alignments
    assert (TG.Condition, SKOS.closeMatch, SCHEMA.MedicalCondition) in alignments
    assert (concept("status", "RECRUITING"), SKOS.exactMatch, SCHEMA.Recruiting) in alignments


# -- (d) owlrl derives the shortcuts and adds no foreign types -----------------------------------

EX = Namespace(ID_NS)
RECORD = URIRef(GRAPH_NS + "ctgov/NCT02849613")
DATA = f"""
@prefix tg: <{ONTOLOGY_NS}> .
@base <{ID_NS}> .
@prefix role: <{VOCAB_NS}role/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<trial/NCT02849613>
    tg:identifier <identifier/nct/NCT02849613> ;
    tg:leadSponsorParticipation <participation/NCT02849613/lead-sponsor/chu-grenoble> ;
    tg:collaboratorParticipation <participation/NCT02849613/collaborator/inserm> ;
    tg:site <site/fr/chu-grenoble-grenoble> ;
    tg:condition <condition/mesh-D020521> ;
    tg:startDate "2016-09"^^xsd:gYearMonth ;
    tg:registryPage <https://clinicaltrials.gov/study/NCT02849613> ;
    tg:official <trial/NCT02849613/official/jane-doe> .
<trial/NCT02849613/official/jane-doe> a tg:Participation ;
    tg:agent <person/jane-doe> ;
    tg:officialRole <{VOCAB_NS}official-role/PRINCIPAL_INVESTIGATOR> .
<person/jane-doe> a tg:Person ; tg:affiliation <org/chu-grenoble> .
<identifier/nct/NCT02849613> tg:registry <registry/nct> ; tg:idValue "NCT02849613" .
<participation/NCT02849613/lead-sponsor/chu-grenoble> a tg:Participation ;
    tg:agent <org/chu-grenoble> ; tg:role role:LEAD_SPONSOR .
<participation/NCT02849613/collaborator/inserm> a tg:Participation ;
    tg:agent <org/inserm> ; tg:role role:COLLABORATOR .
<site/fr/chu-grenoble-grenoble> tg:country <country/FR> .
<condition/mesh-D020521> tg:broaderCondition <condition/mesh-D002561> .
<condition/mesh-D002561> tg:broaderCondition <condition/mesh-D001927> .
<{RECORD}> a tg:SourceRecord, prov:Entity ;
    tg:sourceRecord <trial/NCT02849613> ; tg:sourceKind "ctgov" ; tg:recordId "NCT02849613" .
"""

TRIAL = EX["trial/NCT02849613"]
LEAD = EX["org/chu-grenoble"]
COLLAB = EX["org/inserm"]
STROKE = EX["condition/mesh-D020521"]
CEREBROVASCULAR = EX["condition/mesh-D002561"]
BRAIN = EX["condition/mesh-D001927"]
PERSON = EX["person/jane-doe"]


@pytest.fixture(scope="module")
def closure() -> Graph:
    graph = turtle_graph(ONTOLOGY_FILE, ALIGNMENTS_FILE)  # vocab.ttl adds nothing to reason about, only time
    graph.parse(data=DATA, format="turtle")
    # the settings graph.reason uses
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return graph


def test_reasoning_is_consistent(closure: Graph) -> None:
    errors = list(closure.subjects(RDF.type, URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")))
    assert errors == []


def test_reasoning_derives_role_shortcuts(closure: Graph) -> None:
    assert (TRIAL, TG.leadSponsor, LEAD) in closure
    assert (TRIAL, TG.collaborator, COLLAB) in closure
    assert (TRIAL, TG.leadSponsor, COLLAB) not in closure
    assert (TRIAL, TG.collaborator, LEAD) not in closure
    assert set(closure.objects(TRIAL, TG.participant)) == {LEAD, COLLAB}  # not the official
    assert set(closure.objects(PERSON, TG.participatesIn)) == set()
    assert (TRIAL, TG.participation, EX["participation/NCT02849613/lead-sponsor/chu-grenoble"]) in closure


def test_reasoning_derives_inverses(closure: Graph) -> None:
    assert set(closure.objects(LEAD, TG.sponsors)) == {TRIAL}
    assert set(closure.objects(COLLAB, TG.sponsors)) == set()
    assert set(closure.objects(COLLAB, TG.participatesIn)) == {TRIAL}
    assert (EX["identifier/nct/NCT02849613"], TG.identifierOf, TRIAL) in closure
    assert (EX["site/fr/chu-grenoble-grenoble"], TG.siteOf, TRIAL) in closure
    assert (STROKE, TG.conditionOf, TRIAL) in closure


def test_reasoning_derives_recruitment_countries(closure: Graph) -> None:
    assert set(closure.objects(TRIAL, TG.recruitsIn)) == {EX["country/FR"]}


def test_reasoning_closes_broader_conditions(closure: Graph) -> None:
    assert set(closure.objects(STROKE, TG.broaderCondition)) == {CEREBROVASCULAR, BRAIN}
    assert set(closure.objects(CEREBROVASCULAR, TG.broaderCondition)) == {BRAIN}
    assert set(closure.objects(TRIAL, TG.meshAncestor)) == {CEREBROVASCULAR, BRAIN}


def test_reasoning_types_data_nodes_with_tg_classes_only(closure: Graph) -> None:
    """Domains and ranges give each node its own class and nothing more; the alignments add no
    schema.org, FHIR or PROV type (the source record was already a prov:Entity)."""
    expected = {
        TRIAL: {TG.Trial},
        LEAD: {TG.Organization},
        COLLAB: {TG.Organization},
        EX["participation/NCT02849613/lead-sponsor/chu-grenoble"]: {TG.Participation},
        EX["identifier/nct/NCT02849613"]: {TG.RegistryIdentifier},
        EX["registry/nct"]: {TG.Registry},
        EX["site/fr/chu-grenoble-grenoble"]: {TG.Site},
        EX["country/FR"]: {TG.Country},
        STROKE: {TG.Condition},
        BRAIN: {TG.Condition},
        RECORD: {TG.SourceRecord, PROV.Entity},
        concept("role", "LEAD_SPONSOR"): {SKOS.Concept},
        PERSON: {TG.Person},
        EX["trial/NCT02849613/official/jane-doe"]: {TG.Participation},
        URIRef("https://clinicaltrials.gov/study/NCT02849613"): set(),
    }
    for node, types in expected.items():
        found = set(closure.objects(node, RDF.type)) - {OWL.Thing}
        assert found == types, f"{node}: {sorted(map(str, found))}"


def test_reasoning_adds_no_foreign_statements_about_data(closure: Graph) -> None:
    foreign = (str(SCHEMA), str(FHIR), str(PROV))
    for s, p, o in closure:
        if isinstance(s, URIRef) and str(s).startswith((ID_NS, GRAPH_NS)):
            assert not str(p).startswith(foreign), (s, p, o)
            if p == RDF.type and o != PROV.Entity:
                assert not str(o).startswith(foreign), (s, p, o)


def test_reasoning_keeps_date_precision(closure: Graph) -> None:
    assert list(closure.objects(TRIAL, TG.startDate)) == [Literal("2016-09", datatype=namespace.XSD.gYearMonth)]


# -- (e) canonical Turtle -----------------------------------------------------------------------


@pytest.mark.parametrize("path", TTL_FILES, ids=lambda p: p.name)
def test_file_is_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text == canonical_turtle(path), f"{path} is not in canonical Turtle; fix it with: {FIX_COMMAND} {path}"


def test_canonical_form_undoes_layout_changes() -> None:
    """Reordered statements and prefixes give the same text back; a changed meaning does not."""
    text = ONTOLOGY_FILE.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    prefixes = blocks[0].splitlines()
    shuffled = "\n".join(reversed(prefixes)) + "\n\n" + "\n\n".join(reversed(blocks[1:]))
    assert shuffled != text
    assert canonical_text(shuffled) == text
    changed = text.replace('"trial"@en', '"clinical trial"@en')
    assert canonical_text(changed) != text


def test_fix_command_rewrites_and_check_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "small.ttl"
    file.write_text(
        "@prefix tg: <https://w3id.org/trialgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'tg:Trial rdfs:label "trial"@en . tg:Site rdfs:label "site"@en .\n',
        encoding="utf-8",
    )
    assert main(["--check", str(file)]) == 1
    assert "python -m tests.canonical" in capsys.readouterr().err
    assert main([str(file)]) == 0
    assert main(["--check", str(file)]) == 0
    assert file.read_text(encoding="utf-8") == (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#>\n"
        "\n"
        "tg:Site\n"
        '    rdfs:label "site"@en ;\n'
        ".\n"
        "\n"
        "tg:Trial\n"
        '    rdfs:label "trial"@en ;\n'
        ".\n"
    )


def test_bad_turtle_is_reported_with_the_file_name(tmp_path: Path) -> None:
    file = tmp_path / "broken.ttl"
    file.write_text("tg:Trial rdfs:label", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.ttl"):
        canonical_turtle(file)
