"""Value constraint components evaluated faster than pyshacl's own code, with the same results:
``sh:datatype`` and ``sh:class`` over the plain index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node


class _FastDatatype:
    """pyshacl's ``sh:datatype`` check, with its results, minus rdflib's Python-level equality
    per value: datatypes are compared as text, and pyshacl's own value-type test is asked once
    per Python type of value."""

    def __init__(self, component: Any) -> None:
        from pyshacl.constraints.core.value_constraints import RDF_langString, RDFS_Datatype, RDFS_Literal
        from rdflib.namespace import XSD

        self.component = component
        self.rule = component.datatype_rule
        self.special = isinstance(self.rule, URIRef) and self.rule in (RDFS_Literal, RDFS_Datatype, RDF_langString)
        self.is_string = self.rule == XSD.string
        self._actual: dict[type, bool] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.component, name)

    def _matches(self, v: Literal) -> bool:
        key = type(v.value)
        hit = self._actual.get(key)
        if hit is None:
            hit = self._actual[key] = bool(self.component._assert_actual_datatype(v, self.rule))
        return hit

    def evaluate(self, executor: Any, target_graph: Any, fv: Mapping[Node, Any], path: list[Any]) -> Any:
        if self.special or not isinstance(self.rule, URIRef):
            return self.component.evaluate(executor, target_graph, fv, path)
        rule = self.rule
        reports = []
        for f, values in fv.items():
            for v in values:
                matches = False
                if isinstance(v, Literal):
                    datatype = v.datatype
                    if datatype is not None and type(datatype) is URIRef and str.__eq__(datatype, rule):
                        matches = getattr(v, "ill_typed", None) is not True and self._matches(v)
                    elif datatype is None and v.language is None and self.is_string:
                        matches = self._matches(v)
                if not matches:
                    reports.append(self.component.make_v_result(target_graph, f, value_node=v))
        return not reports, reports


class _FastClass:
    """pyshacl's ``sh:class`` check (its rdflib branch), with its results, comparing classes
    as text instead of with rdflib's Python-level equality."""

    def __init__(self, component: Any) -> None:
        self.component = component
        self.rules = list(component.class_rules)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.component, name)

    def evaluate(self, executor: Any, target_graph: Any, fv: Mapping[Node, Any], path: list[Any]) -> Any:
        from pyshacl.consts import RDF_type, RDFS_subClassOf

        if executor.sparql_mode:
            return self.component.evaluate(executor, target_graph, fv, path)
        reports = []
        for rule in self.rules:
            kind = type(rule)
            for f, values in fv.items():
                for v in values:
                    found = False
                    if not isinstance(v, Literal):
                        for ctype in target_graph.objects(v, RDF_type):
                            if any(
                                type(c) is kind and str.__eq__(c, rule)
                                for c in target_graph.transitive_objects(ctype, RDFS_subClassOf)
                            ):
                                found = True
                                break
                    if not found:
                        reports.append(self.component.make_v_result(target_graph, f, value_node=v))
        return not reports, reports


FAST = {"DatatypeConstraintComponent": _FastDatatype, "ClassConstraintComponent": _FastClass}
