#include "scenario/html.hpp"

namespace pmx::scenario {

namespace {

// JSON inside <script>: "</" would end the element early; "<\/" is the
// same JSON string.
std::string script_safe(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    o += s[i];
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') o += '\\';
  }
  return o;
}

constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portmux scenario report</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
.verdict { display: inline-block; padding: 0.2em 0.8em; border-radius: 4px; color: #fff; font-weight: bold; }
.pass { background: #2e7d32; } .fail { background: #c62828; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #eee; } td.l, th.l { text-align: left; }
tr.pass td { background: #e8f5e9; } tr.fail td { background: #ffebee; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1em; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.6em; }
.card h2 { font-size: 1em; margin: 0 0 0.4em 0; }
canvas { width: 100% !important; height: 260px !important; }
#status { color: #888; font-size: 0.8em; }
</style>
)";

// The page's own script: tables, then one chart per figure. Every chart is
// drawn without animation so a screenshot shows it at once.
constexpr std::string_view kPage = R"(
<script>
(function () {
  const report = JSON.parse(document.getElementById('report').textContent);
  const timeline = JSON.parse(document.getElementById('timeline').textContent);
  const el = (tag, attrs, text) => { const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; };
  const num = (x, d) => (typeof x === 'number') ? x.toLocaleString('en-US', {maximumFractionDigits: d === undefined ? 1 : d}) : String(x);
  const main = document.getElementById('main');
  const sc = report.scenario || {};
  const h1 = el('h1', {}, 'Scenario ' + (sc.name || '') + ' ');
  const v = el('span', {class: 'verdict ' + (report.verdict === 'pass' ? 'pass' : 'fail'), id: 'verdict'},
               report.verdict === 'pass' ? 'PASS' : 'FAIL');
  h1.appendChild(v); main.appendChild(h1);
  main.appendChild(el('p', {}, (sc.description ? sc.description + ' - ' : '') + (sc.file || '') +
    ', ' + num(report.elapsed_s, 3) + ' s, timeline every ' + num(report.interval_s, 3) + ' s'));
  // Criteria
  const crit = report.criteria || [];
  const ct = el('table', {id: 'criteria'});
  ct.appendChild(el('tr')).append(el('th', {class: 'l'}, 'criterion'), el('th', {class: 'l'}, 'scope'),
    el('th', {}, 'limit'), el('th', {}, 'measured'), el('th', {}, 'result'));
  for (const c of crit) {
    const tr = el('tr', {class: c.pass ? 'pass' : 'fail'});
    const lim = (c.name === 'errors' || c.name.startsWith('max_') ? '<= ' : '>= ') + num(c.limit, 3);
    tr.append(el('td', {class: 'l'}, c.name), el('td', {class: 'l'}, c.scope), el('td', {}, lim),
      el('td', {}, num(c.measured, 3)), el('td', {}, c.pass ? 'pass' : 'FAIL'));
    ct.appendChild(tr);
  }
  if (crit.length === 0) ct.appendChild(el('tr')).appendChild(el('td', {class: 'l', colspan: 5}, 'no criteria'));
  main.appendChild(el('h2', {}, 'Criteria')); main.appendChild(ct);
  // Totals per group
  const gt = el('table', {id: 'groups'});
  gt.appendChild(el('tr')).append(...['group', 'destination', 'attempted', 'established', 'completed',
    'errors', 'responses', 'conn/s', 'req/s', 'Gbit/s', 'connect p99 us', 'request p99 us']
    .map((h, i) => el('th', i < 2 ? {class: 'l'} : {}, h)));
  const row = (name, dest, g) => { const tr = el('tr');
    tr.append(el('td', {class: 'l'}, name), el('td', {class: 'l'}, dest), el('td', {}, num(g.connections.attempted)),
      el('td', {}, num(g.connections.established)), el('td', {}, num(g.connections.completed)),
      el('td', {}, num(g.errors.total)), el('td', {}, num(g.requests.answered)), el('td', {}, num(g.rates.cps)),
      el('td', {}, num(g.rates.rps)), el('td', {}, num(g.rates.gbps, 4)),
      el('td', {}, num(g.latency_us.connect.p99 || 0)), el('td', {}, num(g.latency_us.request.p99 || 0)));
    return tr; };
  for (const g of report.groups || []) gt.appendChild(row(g.name, g.destination, g));
  if (report.total) gt.appendChild(row('total', '', report.total));
  main.appendChild(el('h2', {}, 'Totals')); main.appendChild(gt);
  // Charts
  const grid = el('div', {class: 'grid'}); main.appendChild(grid);
  const colors = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#9e9d24'];
  const t = timeline.map(l => l.t);
  const names = (timeline.length ? timeline[0].groups : []).map(g => g.name);
  let drawn = 0;
  const card = (id, title) => { const c = el('div', {class: 'card'}); c.appendChild(el('h2', {}, title));
    const cv = el('canvas', {id: id}); c.appendChild(cv); grid.appendChild(c); return cv; };
  const line = (id, title, ytitle, sets, logy) => {
    const cv = card(id, title);
    new Chart(cv, {type: 'line', data: {labels: t, datasets: sets.map((s, i) => ({label: s.label,
      data: s.data, borderColor: s.color || colors[i % colors.length], backgroundColor: s.color || colors[i % colors.length],
      pointRadius: 0, borderWidth: 2, borderDash: s.dash || []}))},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        scales: {x: {type: 'linear', title: {display: true, text: 'seconds'}},
                 y: {type: logy ? 'logarithmic' : 'linear', beginAtZero: !logy, title: {display: true, text: ytitle}}}}});
    drawn++; };
  const per = (f) => names.map((n, i) => ({label: n, data: timeline.map(l => f(l.groups[i]))}));
  line('chart-cps', 'Connection rate', 'connections/s', per(g => g.cps));
  line('chart-open', 'Open connections', 'connections', per(g => g.open));
  line('chart-rps', 'Request rate', 'responses/s', per(g => g.rps));
  line('chart-gbps', 'Throughput', 'Gbit/s', per(g => g.gbps));
  const kinds = ['refused', 'reset', 'connect_timeout', 'timeout', 'bad_response', 'ports_exhausted', 'no_resources'];
  { const cv = card('chart-errors', 'Errors per interval (by kind)');
    new Chart(cv, {type: 'bar', data: {labels: t.map(x => x.toFixed(1)), datasets: kinds.map((k, i) => ({label: k,
      data: timeline.map(l => l.total.closed[k]), backgroundColor: colors[(i + 4) % colors.length]}))},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        scales: {x: {stacked: true, title: {display: true, text: 'seconds'}}, y: {stacked: true, beginAtZero: true,
          title: {display: true, text: 'failed connections'}}}}});
    drawn++; }
  const lat = (k, p) => timeline.map(l => l.total[k].count ? l.total[k][p] : null);
  line('chart-latency', 'Latency percentiles per interval (all groups)', 'microseconds', [
    {label: 'connect p50', data: lat('connect_us', 'p50'), color: '#90caf9'},
    {label: 'connect p90', data: lat('connect_us', 'p90'), color: '#1e88e5'},
    {label: 'connect p99', data: lat('connect_us', 'p99'), color: '#0d47a1'},
    {label: 'request p50', data: lat('request_us', 'p50'), color: '#ffcc80', dash: [6, 3]},
    {label: 'request p90', data: lat('request_us', 'p90'), color: '#fb8c00', dash: [6, 3]},
    {label: 'request p99', data: lat('request_us', 'p99'), color: '#e65100', dash: [6, 3]}], true);
  { const h = (report.total && report.total.latency_hist_us) || {connect: [], request: []};
    const bounds = Array.from(new Set(h.connect.map(b => b[0]).concat(h.request.map(b => b[0])))).sort((a, b) => a - b);
    const counts = (arr) => { const m = new Map(arr.map(b => [b[0], b[1]])); return bounds.map(b => m.get(b) || 0); };
    const cv = card('chart-dist', 'Latency distribution, whole run (samples per bucket, by upper bound in us)');
    new Chart(cv, {type: 'bar', data: {labels: bounds, datasets: [
      {label: 'connect', data: counts(h.connect), backgroundColor: '#1e88e5'},
      {label: 'request', data: counts(h.request), backgroundColor: '#fb8c00'}]},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
        scales: {x: {title: {display: true, text: 'microseconds (bucket upper bound)'}},
                 y: {beginAtZero: true, title: {display: true, text: 'samples'}}}}});
    drawn++; }
  document.body.dataset.chartsReady = String(drawn);
  document.getElementById('status').textContent = 'charts-ready: ' + drawn;
})();
</script>
)";

}  // namespace

std::string render_html(const std::string& report_json, const std::vector<std::string>& timeline) {
  std::string tl = "[";
  for (size_t i = 0; i < timeline.size(); ++i) {
    if (i) tl += ",";
    tl += timeline[i];
  }
  tl += "]";
  std::string h(kHead);
  h.reserve(kChartJs.size() + report_json.size() + tl.size() + 16384);
  h += "<script>/* Chart.js 3.9.1 (MIT), bundled from Debian's libjs-chart.js */\n";
  h += kChartJs;
  h += "\n</script>\n</head><body>\n<div id=\"main\"></div>\n<div id=\"status\">charts not drawn "
       "(JavaScript off?)</div>\n";
  h +=
      "<script type=\"application/json\" id=\"report\">" + script_safe(report_json) + "</script>\n";
  h += "<script type=\"application/json\" id=\"timeline\">" + script_safe(tl) + "</script>\n";
  h += kPage;
  h += "</body></html>\n";
  return h;
}

}  // namespace pmx::scenario
