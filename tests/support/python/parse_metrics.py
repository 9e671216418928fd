"""Reads Prometheus text on stdin with Prometheus' own Python parser and
prints its families as JSON: [{name, type, samples: [{name, labels, value}]}].
Float values that JSON lacks (+Inf, NaN) are printed as strings."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def value(number):
    return number if math.isfinite(number) else str(number)


families = [
    {
        'name': family.name,
        'type': family.type,
        'samples': [{'name': s.name, 'labels': s.labels, 'value': value(s.value)} for s in family.samples],
    }
    for family in text_string_to_metric_families(sys.stdin.read())
]
json.dump(families, sys.stdout)
