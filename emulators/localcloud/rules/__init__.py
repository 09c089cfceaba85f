"""Firestore Security Rules (v2): parser and evaluator for the localcloud Firestore emulator.

Typical use::

    ruleset = Ruleset.parse(open("firestore.rules").read())       # RulesSyntaxError(line, column) if invalid
    decision = ruleset.authorize(RulesOperation(method="get", path="salons/s1", time=now, auth=claims,
                                                resource=stored_fields), data=my_data_access)
    decision.allowed, decision.reason
"""

from localcloud.rules.engine import (
    Constraint,
    Decision,
    QueryInfo,
    Ruleset,
    RulesOperation,
    evaluate_expression,
    split_field_path,
)
from localcloud.rules.evaluator import DataAccess, NoData
from localcloud.rules.parser import RulesSyntaxError
from localcloud.rules.protobuf import from_firestore_fields, from_firestore_value
from localcloud.rules.values import Duration, LatLng, Path, RulesEvalError, RulesSet, UnprovableError

__all__ = [
    "Constraint",
    "DataAccess",
    "Decision",
    "Duration",
    "LatLng",
    "NoData",
    "Path",
    "QueryInfo",
    "RulesEvalError",
    "RulesOperation",
    "RulesSet",
    "RulesSyntaxError",
    "Ruleset",
    "UnprovableError",
    "evaluate_expression",
    "from_firestore_fields",
    "from_firestore_value",
    "split_field_path",
]
