#!/usr/bin/env python3
"""Checks `portmux-ctl --json` views against the text views (docs/api.md).

Usage: check_ctl_json.py DIR

DIR holds, per show command NAME, NAME.txt (the text view) and NAME.json
(the JSON view, taken just after). Every JSON file must parse, and say what
the text says: the same rows (interfaces, neighbours, routes, listeners,
connections, lcores), the same names and addresses, and counters that agree
(a counter may only have grown between the two reads, by little).
Prints one line per view; exits 1 at the first mismatch.
"""
import json
import os
import re
import sys

D = sys.argv[1]


def fail(msg):
    print('check_ctl_json: ' + msg)
    sys.exit(1)


def load(name):
    text = open(os.path.join(D, name + '.txt')).read()
    try:
        js = json.load(open(os.path.join(D, name + '.json')))
    except ValueError as e:
        fail('%s: not JSON: %s' % (name, e))
    return text, js


def close(name, what, t, j, slack=200):
    if not (t <= j <= t + slack):
        fail('%s: %s is %d in the text, %d in the JSON' % (name, what, t, j))


def rows(text, skip=1):
    return [ln.split() for ln in text.splitlines()[skip:] if ln.strip()]


def check_interfaces():
    t, j = load('interfaces')
    trows = {r[0]: r for r in rows(t)}
    if set(trows) != {i['interface'] for i in j['interfaces']}:
        fail('interfaces: names differ')
    for i in j['interfaces']:
        r = trows[i['interface']]
        if r[3] != i['mac'] or int(r[1]) != i['port']:
            fail('interfaces: %s differs' % i['interface'])
        if i['rx_frames'] is not None:
            close('interfaces', 'rx_frames', int(r[4]), i['rx_frames'])
            close('interfaces', 'tx_frames', int(r[5]), i['tx_frames'])
            if r[6:] != i['addresses']:
                fail('interfaces: addresses %s vs %s' % (r[6:], i['addresses']))
    return '%d interfaces' % len(trows)


def check_port(kind):
    t, j = load('port_' + kind)
    p = j['ports'][0]
    if kind == 'info':
        for label, key in (('MAC address', 'mac'), ('Driver name', 'driver'), ('MTU', 'mtu')):
            m = re.search(r'^%s: (\S+)' % label, t, re.M)
            if not m or m.group(1) != str(p[key]):
                fail('port info: %s' % label)
        addrs = re.findall(r'^IPv4 address: (\S+)', t, re.M)
        if addrs != [a['address'] for a in p['interfaces'][0]['addresses']]:
            fail('port info: IPv4 addresses %s' % addrs)
        return 'port 0 info: %s, %s' % (p['driver'], p['mac'])
    if kind == 'stats':
        m = re.search(r'RX-packets: (\d+)', t)
        close('port stats', 'rx_packets', int(m.group(1)), p['rx_packets'])
        m = re.search(r'TX-bytes: +(\d+)', t)
        close('port stats', 'tx_bytes', int(m.group(1)), p['tx_bytes'], 100000)
        return 'port 0 stats: rx_packets %d' % p['rx_packets']
    names = {ln.split(':')[0] for ln in t.splitlines()[1:] if ':' in ln}
    if names != set(p['xstats']):
        fail('port xstats: names differ: %s' % (names ^ set(p['xstats'])))
    return 'port 0 xstats: %d' % len(names)


def check_neigh(name):
    t, j = load(name)
    trows = {(r[1], r[2], r[3]) for r in rows(t)}
    jrows = {(n['interface'], n['address'], n['mac'] or '-') for n in j['neighbours']}
    if trows != jrows:
        fail('%s: rows differ: %s' % (name, trows ^ jrows))
    return '%s: %d entries' % (name, len(trows))


def check_routes():
    t, j = load('routes')
    trows = [tuple(r) for r in rows(t)]
    jrows = [(r['interface'], r['destination'], r['gateway'] or '-', r['kind']) for r in j['routes']]
    if trows != jrows:
        fail('routes: %s vs %s' % (trows, jrows))
    return 'routes: %d' % len(trows)


def check_counters(name):
    t, j = load(name)
    text = {}
    for ln in t.splitlines():
        m = re.match(r'^  ([a-z0-9]+_[a-z0-9_]+) +(\d+)\b', ln)  # a counter row: name_with_underscore total
        if m:
            text[m.group(1)] = int(m.group(2))
    got = {}
    for section in ('events', 'drops'):
        for k, v in j.get(section, {}).items():
            got[k] = v['total']
            if sum(v['lcores'].values()) != v['total']:
                fail('%s: %s: lcores do not add up to the total' % (name, k))
    if set(text) != set(got):
        fail('%s: counter names differ: %s' % (name, set(text) ^ set(got)))
    for k in text:
        close(name, k, text[k], got[k], 100000)
    if name == 'tcp_stats':
        m = re.search(r'ActiveOpens +(\d+)', t)
        close(name, 'mib.ActiveOpens', int(m.group(1)), j['mib']['ActiveOpens'])
        if '0' not in j['interfaces']:
            fail('tcp_stats: no interface 0')
    if name == 'gen_stats':
        m = re.search(r'(\d+) connections attempted', t)
        if not j['run'] or int(m.group(1)) != j['run']['connections']['attempted']:
            fail('gen_stats: attempted differs')
    return '%s: %d counters' % (name, len(text))


def check_simple(name, key, col, jkey):
    t, j = load(name)
    tv = [r[col] for r in rows(t)]
    jv = [str(x[jkey]) if x[jkey] is not None else '-' for x in j[key]]
    if tv != jv:
        fail('%s: %s vs %s' % (name, tv, jv))
    return '%s: %d rows' % (name, len(tv))


def check_scenario():
    t, j = load('scenario')
    m = re.match(r'scenario (\S+) \(', t)
    if not m or m.group(1) != j['name'] or j['state'] != 'done' or j['verdict'] != 'pass':
        fail('scenario: %s vs %s' % (t.splitlines()[0], j))
    for g in j['groups']:
        if not re.search(r'%s +done +attempted %d ' % (re.escape(g['name']), g['attempted']), t):
            fail('scenario: group %s' % g['name'])
    return 'scenario %s: %d groups, %s' % (j['name'], len(j['groups']), j['verdict'])


def main():
    out = [check_interfaces(), check_port('info'), check_port('stats'), check_port('xstats'),
           check_neigh('neigh'), check_neigh('arp'), check_routes(),
           check_counters('ip_stats'), check_counters('tcp_stats'), check_counters('gen_stats'),
           check_simple('listeners', 'listeners', 0, 'address'),
           check_simple('connections', 'connections', 3, 'local'),
           check_simple('flowtable', 'lcores', 0, 'lcore'),
           check_simple('lcores', 'lcores', 0, 'lcore'),
           check_scenario()]
    _, gj = load('gen_json')
    if gj['connections']['attempted'] <= 0:
        fail('gen_json: no run')
    for o in out:
        print('  ' + o)
    print('every JSON view parses and matches its text view (%d views)' % (len(out) + 1))


if __name__ == '__main__':
    main()
