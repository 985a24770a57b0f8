"""Plain dataclasses for one trial record.

Every source (curated YAML, ClinicalTrials.gov JSON, WHO ICTRP XML) maps its format to these
types and nothing downstream sees a source's format.  Controlled values are kept as the
ClinicalTrials.gov API v2 enumeration strings (``PHASE1``, ``RECRUITING``, ``BIOLOGICAL``...);
a value that is not in the vocabulary is kept verbatim and a warning is attached to the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Precision = Literal["year", "month", "day"]


@dataclass(frozen=True)
class PartialDate:
    """A date known to a year, a month or a day; ``value`` is ISO 8601 at that precision."""

    value: str
    precision: Precision
    #: ``ACTUAL`` or ``ESTIMATED`` when the source says which, else ``None``.
    type: str | None = None


@dataclass(frozen=True)
class Identifier:
    """A registry id.  ``registry`` is a key of :data:`graph.normalize.registry_ids.REGISTRIES`."""

    registry: str
    value: str
    #: Free text from the source: the secondary id type or domain ("NIH grant", "IDRCB").
    type: str | None = None
    domain: str | None = None
    #: For a EudraCT number: the CTIS number the trial moved to under the EU Clinical Trials
    #: Regulation (the same trial, registered on in CTIS).
    transitioned_to: str | None = None


@dataclass(frozen=True)
class Organization:
    name: str
    ror: str | None = None
    #: API v2 ``agencyClass`` (``NIH``, ``FED``, ``INDUSTRY``, ``NETWORK``, ``OTHER``...).
    agency_class: str | None = None
    city: str | None = None
    #: ISO 3166-1 alpha-2.
    country: str | None = None
    aliases: tuple[str, ...] = ()
    #: The kind of organisation in the registry's own words ("Pharmaceutical company",
    #: "Hospital/Clinic/Other health care facility", "University/education").
    org_type: str | None = None


@dataclass(frozen=True)
class Participation:
    """An organisation taking part in a trial in one role (see ``vocab/role``)."""

    organization: Organization
    role: str
    note: str | None = None
    #: Whether the organisation takes part as a commercial sponsor, as the EU registers state it
    #: per trial (EudraCT B.3.1, CTIS "commercial"); ``None`` when the source does not say.
    commercial: bool | None = None


@dataclass(frozen=True)
class Site:
    facility: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    #: ISO 3166-1 alpha-2.
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    #: Recruitment status at this site (API v2 ``RecruitmentStatus``).
    status: str | None = None
    #: For a location the registry gives without a facility name: the record it comes from.
    #: "Unknown site, Boston" of one trial says nothing about that of another, so the two must
    #: not become one site node.
    scope: str | None = None


@dataclass(frozen=True)
class MeshTerm:
    id: str  # descriptor id, e.g. D020521
    label: str


@dataclass(frozen=True)
class ConditionTerm:
    """A term of a vocabulary other than MeSH that codes a condition: a MedDRA term, an EMA
    therapeutic area, an ICD-10 category."""

    vocabulary: str  # "MedDRA", "EMA therapeutic area", "ICD-10", "ISRCTN condition category"
    label: str
    code: str | None = None


@dataclass(frozen=True)
class Condition:
    label: str
    mesh: str | None = None
    #: MeSH descriptors this condition falls under (direct or not).
    broader: tuple[MeshTerm, ...] = ()
    #: Terms of other vocabularies the source codes this condition with.
    terms: tuple[ConditionTerm, ...] = ()


@dataclass(frozen=True)
class CellProduct:
    cell_type: str
    tissue_source: str | None = None  # bone marrow, placenta, adipose tissue, umbilical cord...
    origin: str | None = None  # ALLOGENEIC or AUTOLOGOUS
    route: str | None = None  # intravenous, ...


@dataclass(frozen=True)
class Intervention:
    name: str
    type: str | None = None
    other_names: tuple[str, ...] = ()
    arm_labels: tuple[str, ...] = ()
    description: str | None = None
    mesh: str | None = None
    broader: tuple[MeshTerm, ...] = ()
    cell_product: CellProduct | None = None


@dataclass(frozen=True)
class Arm:
    label: str
    type: str | None = None
    description: str | None = None
    interventions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    kind: str  # PRIMARY, SECONDARY, OTHER
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    role: str | None = None  # API v2 OfficialRole, or a free role such as "coordinator"
    affiliation: str | None = None


@dataclass(frozen=True)
class Funding:
    funder: str
    programme: str | None = None
    grant: str | None = None


@dataclass(frozen=True)
class Consortium:
    name: str
    partner_count: int | None = None
    #: Counts the source states per role (``CLINICAL_CENTRE: 23``) even where partners are unnamed.
    role_counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Design:
    allocation: str | None = None
    model: str | None = None
    purpose: str | None = None
    masking: str | None = None


@dataclass(frozen=True)
class CountryStatus:
    """The state of a trial in one country, as an EU register gives it per member state."""

    #: ISO 3166-1 alpha-2.
    country: str
    #: An API v2 status when the register's value maps to one, else the register's text.
    status: str | None = None
    #: When the country's authority decided on the trial.
    decision_date: PartialDate | None = None


class RecordWarning(str):
    """A warning about one record: its text (naming the field), and its kind.

    A plain string to everything that reads warnings as text; the import summary
    (:mod:`graph.pipeline.summary`) counts warnings by ``kind``, one of :data:`graph.pipeline.summary.WARNING_KINDS`.
    A plain ``str`` warning counts under ``other``.
    """

    kind: str

    def __new__(cls, kind: str, text: str) -> RecordWarning:
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj

    def __reduce__(self) -> tuple[type[RecordWarning], tuple[str, str]]:
        return (RecordWarning, (self.kind, str(self)))


@dataclass
class TrialRecord:
    """Everything one source record says about one trial."""

    #: Source kind: the name of the reader that read the record (``curated``, ``ctgov``, ``ictrp``,
    #: ``ctis``, ``euctr``, ``isrctn``, or a plug-in of :mod:`graph.sources`).
    source: str
    #: Stable key of the record inside its source (NCT id, ICTRP TrialID, curated file stem).
    record_id: str
    #: Path (or ``zip!member``) the record was read from.
    source_file: str
    identifiers: list[Identifier]
    #: The record's own version, e.g. the registry's last-update date (ISO).
    version: str | None = None
    title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    status: str | None = None
    last_known_status: str | None = None
    why_stopped: str | None = None
    phases: list[str] = field(default_factory=list)
    study_type: str | None = None
    design: Design = field(default_factory=Design)
    enrollment: int | None = None
    enrollment_type: str | None = None
    start_date: PartialDate | None = None
    primary_completion_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    registration_date: PartialDate | None = None
    sex: str | None = None
    minimum_age: str | None = None
    maximum_age: str | None = None
    healthy_volunteers: bool | None = None
    participations: list[Participation] = field(default_factory=list)
    consortium: Consortium | None = None
    funding: list[Funding] = field(default_factory=list)
    officials: list[Person] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    #: Countries the source names for the trial beyond those of its sites (ISO alpha-2).
    countries: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # PubMed ids
    #: MeSH ancestors the registry gives for the study as a whole.  ClinicalTrials.gov lists the
    #: ancestors of all of a study's MeSH terms together, so when there are several terms the
    #: ancestors cannot be hung on any one of them; they are kept on the trial.
    condition_ancestors: list[MeshTerm] = field(default_factory=list)
    intervention_ancestors: list[MeshTerm] = field(default_factory=list)
    url: str | None = None
    #: The trial's status per country (EU member states concerned).
    country_statuses: list[CountryStatus] = field(default_factory=list)
    #: Terms of other vocabularies (MedDRA, therapeutic areas) the source gives for the trial's
    #: conditions as a whole, kept on the trial when it has several conditions.
    condition_terms: list[ConditionTerm] = field(default_factory=list)
    #: Non-fatal problems found while reading (unknown enumeration value kept as text...).
    warnings: list[str] = field(default_factory=list)

    @property
    def lead_sponsors(self) -> list[Organization]:
        return [p.organization for p in self.participations if p.role == "LEAD_SPONSOR"]
