// The s3cors inspector page (docs/inspector.md): a live table fed by server-sent events from
// /_s3cors/inspector/events, a detail panel from /_s3cors/inspector/requests/ID and a HAR
// export from /_s3cors/inspector/har. Hand-written, no dependencies.
'use strict';
(function () {
  const base = '/_s3cors/inspector';
  const maxRows = 5000;  // kept in memory (the server's ring holds 2000 by default)
  const shownRows = 300; // in the DOM: the newest ones, so the page stays fast at any rate
  const $ = (id) => document.getElementById(id);
  const tbody = document.querySelector('#requests tbody');
  let rows = [];
  let source = null;
  let paused = false;
  let dropped = 0;
  let renderPending = false;
  let selected = null;

  function query() {
    const p = new URLSearchParams();
    if ($('filter-bucket').value) p.set('bucket', $('filter-bucket').value.trim());
    if ($('filter-origin').value) p.set('origin', $('filter-origin').value.trim());
    if ($('filter-status').value) p.set('status', $('filter-status').value);
    if ($('filter-refused').checked) p.set('refused', '1');
    return p.toString();
  }

  function connect() {
    if (source) source.close();
    rows = [];
    dropped = 0;
    scheduleRender();
    source = new EventSource(base + '/events?' + query());
    source.onopen = () => { $('connection').textContent = 'live'; $('connection').className = 'state live'; };
    source.onerror = () => { $('connection').textContent = 'reconnecting…'; $('connection').className = 'state down'; };
    source.addEventListener('request', (e) => {
      const r = JSON.parse(e.data);
      // A reconnection replays the server's backlog: keep each record once.
      if (rows.length && r.id <= rows[rows.length - 1].id) return;
      rows.push(r);
      if (rows.length > maxRows) rows.splice(0, rows.length - maxRows);
      scheduleRender();
    });
    source.addEventListener('dropped', (e) => { dropped = JSON.parse(e.data).dropped; scheduleRender(); });
  }

  function scheduleRender() {
    if (renderPending || paused) return;
    renderPending = true;
    requestAnimationFrame(render);
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function where(r) {
    if (r.bucket) return r.key ? r.bucket + '/' + r.key : r.bucket;
    return (r.listener ? '[' + r.listener + '] ' : '') + r.target;
  }

  function corsText(r) {
    if (!r.origin) return '';
    if (r.refused) return 'refused' + (r.cors ? ': ' + r.cors : '');
    return r.cors || 'allowed';
  }

  function render() {
    renderPending = false;
    const shown = rows.slice(-shownRows).reverse();  // newest first
    const fragment = document.createDocumentFragment();
    for (const r of shown) {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      if (r.refused) tr.classList.add('refused');
      if (selected === r.id) tr.classList.add('selected');
      cell(tr, r.time.replace(/^.*T/, '').replace('Z', ''));
      cell(tr, r.method, 'method');
      cell(tr, where(r), 'key');
      cell(tr, r.status, 'status s' + Math.floor(r.status / 100));
      cell(tr, r.bytes, 'bytes');
      cell(tr, r.duration_ms.toFixed(1), 'ms');
      cell(tr, r.origin, 'origin');
      cell(tr, corsText(r), 'cors');
      cell(tr, r.edge_cache, 'edge');
      cell(tr, r.fault, 'fault');
      fragment.appendChild(tr);
    }
    tbody.replaceChildren(fragment);
    $('empty').hidden = rows.length > 0;
    $('counts').textContent = rows.length + ' requests' + (rows.length > shownRows ? ' (newest ' + shownRows + ' shown)' : '') +
        (dropped ? ', ' + dropped + ' missed (page too slow)' : '');
  }

  function fillHeaders(table, pairs) {
    const fragment = document.createDocumentFragment();
    for (const [name, value] of pairs) {
      const tr = document.createElement('tr');
      cell(tr, name);
      cell(tr, value);
      fragment.appendChild(tr);
    }
    table.replaceChildren(fragment);
  }

  async function open(id) {
    selected = id;
    scheduleRender();
    const res = await fetch(base + '/requests/' + id, { cache: 'no-store' });
    const d = await res.json();
    $('detail').hidden = false;
    if (!res.ok) {
      $('detail-title').textContent = 'Request ' + id;
      $('detail-summary').textContent = d.message;
      $('suggestion').hidden = true;
      return;
    }
    $('detail').dataset.id = id;
    $('detail-title').textContent = d.method + ' ' + d.target;
    $('detail-summary').textContent = d.status + ', ' + d.bytes + ' bytes, ' + d.duration_ms.toFixed(1) + ' ms' +
        (d.origin ? ', Origin ' + d.origin : ', not cross-origin') + (d.refused ? ' — refused by CORS' : '') +
        (d.distribution ? ', distribution ' + d.distribution + ' → bucket ' + d.bucket : '') +
        (d.edge_cache ? ', ' + d.edge_cache : '') + (d.fault ? ', fault ' + d.fault : '') +
        (d.note ? ' (' + d.note + ')' : '');
    $('explanation').textContent = d.explanation || 'Not a cross-origin request: no Origin header.';
    if (d.suggestion) {
      $('suggestion').hidden = false;
      $('suggestion-summary').textContent = d.suggestion.summary;
      $('suggestion-bucket').textContent = d.bucket || 'BUCKET';
      // The fix names its layer: the bucket's CORS rules, or the distribution in front of it.
      const atEdge = d.suggestion.layer === 'distribution';
      $('paste-bucket').hidden = atEdge;
      $('paste-distribution').hidden = !atEdge || !d.suggestion.configuration_json;
      $('copy-json').hidden = !d.suggestion.configuration_json;
      $('suggested-json').textContent = d.suggestion.configuration_json || '';
      $('copied').textContent = '';
    } else {
      $('suggestion').hidden = true;
    }
    fillHeaders($('request-headers'), d.request_headers);
    fillHeaders($('response-headers'), d.response_headers);
  }

  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr) open(Number(tr.dataset.id));
  });
  $('close-detail').addEventListener('click', () => { $('detail').hidden = true; selected = null; scheduleRender(); });
  $('copy-json').addEventListener('click', async () => {
    const text = $('suggested-json').textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // No clipboard permission (plain http on another host name): select it for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents($('suggested-json'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    $('copied').textContent = 'copied';
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) scheduleRender();
  });
  $('clear').addEventListener('click', () => { rows = []; scheduleRender(); });
  $('export-har').addEventListener('click', async () => {
    const ids = rows.slice(-shownRows).map((r) => r.id).join(',');
    const res = await fetch(base + '/har?ids=' + ids, { cache: 'no-store' });
    const blob = new Blob([await res.text()], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 's3cors-inspector.har';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  let typing = null;
  $('filters').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(connect, 300); });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  connect();
})();
