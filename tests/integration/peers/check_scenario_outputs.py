#!/usr/bin/env python3
"""Checks a scenario run's outputs (docs/scenarios.md "Outputs").

Usage: check_scenario_outputs.py DIR [--min-lines N]

- report.json parses; timeline.jsonl has one JSON object per line, in time
  order, with the groups of the report;
- the sum of every count over the timeline's lines equals the report's
  total, per group and overall (the last, partial interval included);
- each line's "total" is the sum of its groups, and its ports add up to it;
- report.html exists, is self-contained (no external script or link) and
  holds the report's data.
Prints a one-line summary; exits 1 with the first mismatch.
"""
import json
import sys


def fail(msg):
    print('check_scenario_outputs: ' + msg)
    sys.exit(1)


COUNTS = {  # timeline field -> report field path
    'new': ('connections', 'attempted'),
    'established': ('connections', 'established'),
    'requests': ('requests', 'sent'),
    'responses': ('requests', 'answered'),
    'tx_bytes': ('bytes', 'tx'),
    'rx_bytes': ('bytes', 'rx'),
    'errors': ('errors', 'total'),
    'retransmits': ('retransmits',),
}
CLOSED = {'completed': ('connections', 'completed'), 'stopped': ('connections', 'stopped'),
          'refused': ('errors', 'refused'), 'reset': ('errors', 'reset'),
          'connect_timeout': ('errors', 'connect_timeout'), 'timeout': ('errors', 'timeout'),
          'bad_response': ('errors', 'bad_response'),
          'ports_exhausted': ('errors', 'ports_exhausted'), 'no_resources': ('errors', 'no_resources')}


def get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def sums(objs):
    s = {k: 0 for k in COUNTS}
    s.update({'closed.' + k: 0 for k in CLOSED})
    for o in objs:
        for k in COUNTS:
            s[k] += o[k]
        for k in CLOSED:
            s['closed.' + k] += o['closed'][k]
    return s


def expect(report_part, s, what):
    for k, path in COUNTS.items():
        if s[k] != get(report_part, path):
            fail('%s: timeline %s sums to %d, report says %d' % (what, k, s[k], get(report_part, path)))
    for k, path in CLOSED.items():
        if s['closed.' + k] != get(report_part, path):
            fail('%s: timeline closed.%s sums to %d, report says %d' %
                 (what, k, s['closed.' + k], get(report_part, path)))


def main():
    d = sys.argv[1]
    min_lines = int(sys.argv[sys.argv.index('--min-lines') + 1]) if '--min-lines' in sys.argv else 1
    report = json.load(open(d + '/report.json'))
    lines = [json.loads(x) for x in open(d + '/timeline.jsonl') if x.strip()]
    if len(lines) < min_lines:
        fail('%d timeline lines, expected at least %d' % (len(lines), min_lines))
    names = [g['name'] for g in report['groups']]
    last_t = 0
    for i, ln in enumerate(lines):
        if [g['name'] for g in ln['groups']] != names:
            fail('line %d: groups %s, report has %s' % (i + 1, [g['name'] for g in ln['groups']], names))
        if ln['t'] < last_t:
            fail('line %d: t %.3f goes back' % (i + 1, ln['t']))
        last_t = ln['t']
        per_line = sums(ln['groups'])
        if per_line != sums([ln['total']]):
            fail('line %d: total is not the sum of its groups' % (i + 1))
        if ln['ports'] and sums(ln['ports']) != per_line:
            fail('line %d: ports do not add up to the total' % (i + 1))
    expect(report['total'], sums([ln['total'] for ln in lines]), 'total')
    for gi, g in enumerate(report['groups']):
        expect(g, sums([ln['groups'][gi] for ln in lines]), 'group ' + g['name'])
    html = open(d + '/report.html').read()
    low = html.lower()
    if '<script src' in low or '<link' in low:
        fail('report.html loads something from elsewhere')
    if 'new Chart(' not in html or report['scenario']['name'] not in html:
        fail('report.html lacks its charts or its data')
    print('outputs ok: %d timeline lines; %d established, %d responses, %d errors; verdict %s' %
          (len(lines), report['total']['connections']['established'],
           report['total']['requests']['answered'], report['total']['errors']['total'],
           report['verdict']))


if __name__ == '__main__':
    main()
