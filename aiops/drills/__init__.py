"""Drills: the incident loop rehearsed on one machine.

- :mod:`aiops.drills.demo`: ``aiops demo``, a lab with one fault, triaged end to end.
"""
