/**
 * The two pages of the rating app, plain HTML with inline CSS and script
 * (no front-end framework, nothing fetched from elsewhere).
 *
 * /rate: one task at a time, the paper's question and answers ("Yes, 95%
 * sure" / "Maybe, it could plausibly be" / "No, 95% sure"). Keys: 1/2/3
 * answer the focused label, arrows or Tab move, Enter submits. Works at
 * phone width (labels stack under the image).
 *
 * /admin: progress, rater quality, agreement and posteriors from /api/*.
 */

const STYLE = `
*{box-sizing:border-box}body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{padding:8px 16px;background:#1d2330;color:#fff;display:flex;justify-content:space-between;align-items:center}
main{padding:12px 16px;max-width:1280px;margin:auto}
button{font:inherit;cursor:pointer}
.muted{color:#667}
`;

export function ratePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>realabel: rate</title><style>${STYLE}
.task{display:grid;grid-template-columns:minmax(0,1.2fr) minmax(0,1fr);gap:16px;align-items:start}
.photo img{width:100%;max-height:78vh;object-fit:contain;background:#000;border-radius:6px}
h2{font-size:17px;margin:0 0 8px}
.label{background:#fff;border:2px solid #dde;border-radius:6px;padding:8px 10px;margin-bottom:8px;outline:none}
.label:focus{border-color:#3a6ff7;box-shadow:0 0 0 2px #3a6ff733}
.label .name{font-weight:600}.label .syn,.label .gloss{font-size:13px;color:#556}
.ex img{height:56px;margin:4px 4px 0 0;border-radius:3px}
.choices{display:flex;gap:6px;margin-top:6px;flex-wrap:wrap}
.choices button{flex:1;min-width:90px;padding:7px 6px;border:1px solid #bbc;border-radius:5px;background:#fafbfc}
.choices button.on[data-a=yes]{background:#2e9d57;color:#fff;border-color:#2e9d57}
.choices button.on[data-a=maybe]{background:#e0a800;color:#fff;border-color:#e0a800}
.choices button.on[data-a=no]{background:#c8433a;color:#fff;border-color:#c8433a}
#submit{width:100%;padding:10px;font-weight:600;background:#3a6ff7;color:#fff;border:0;border-radius:6px}
#submit:disabled{background:#99a}
.keys{font-size:12px;color:#667;margin-top:6px}
@media (max-width:760px){.task{grid-template-columns:1fr}.photo img{max-height:55vh}}
</style></head><body>
<header><b>realabel</b><span id="who" class="muted"></span></header>
<main><div id="status">Loading…</div><div id="view"></div></main>
<script>
const ANSWERS=[['yes','Yes, 95% sure'],['maybe','Maybe, it could plausibly be'],['no','No, 95% sure']];
const token=new URLSearchParams(location.search).get('token')||'';
let cur=null,state=[],started=0,focus=0;
const $=(s,e=document)=>e.querySelector(s);
const esc=s=>String(s).replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
async function api(method,path,body){
  const r=await fetch(path,{method,headers:{authorization:'Bearer '+token,...(body?{'content-type':'application/json'}:{})},body:body?JSON.stringify(body):undefined});
  const j=r.status===204?null:await r.json().catch(()=>null);
  return {status:r.status,body:j};
}
async function next(){
  $('#status').textContent='Loading…';
  const r=await api('GET','/api/next');
  if(r.status===401){$('#status').textContent='This link is not valid. Ask for a new invite link.';$('#view').innerHTML='';return}
  if(r.status===204){$('#status').textContent='Nothing left to rate for you. Thank you!';$('#view').innerHTML='';cur=null;document.body.dataset.state='done';return}
  if(r.status!==200){$('#status').textContent='Error: '+(r.body&&r.body.message||r.status);return}
  cur=r.body;started=performance.now();focus=0;document.body.dataset.assignment=cur.assignment;document.body.dataset.state='task';
  state=cur.labels.map(()=>({answer:cur.default_answer==='no'?'no':null,changed:false}));
  render();
}
function render(){
  $('#status').textContent='';
  const labels=cur.labels.map((l,i)=>\`<div class="label" tabindex="0" data-i="\${i}">
    <div class="name">\${esc(l.name)}</div>
    \${l.synonyms.length?\`<div class="syn">also: \${esc(l.synonyms.join(', '))}</div>\`:''}
    \${l.gloss?\`<div class="gloss">\${esc(l.gloss)}</div>\`:''}
    \${l.examples&&l.examples.length?\`<div class="ex">\${l.examples.map(u=>\`<img alt="example" src="\${esc(u)}">\`).join('')}</div>\`:''}
    <div class="choices">\${ANSWERS.map(([a,t],k)=>\`<button type="button" data-a="\${a}" title="key \${k+1}">\${k+1} · \${t}</button>\`).join('')}</div></div>\`).join('');
  $('#view').innerHTML=\`<div class="task"><div class="photo"><img id="photo" alt="image to rate" src="\${esc(cur.image_url)}"></div>
    <div><h2>Is each of these in the image?</h2>\${labels}
    <button id="submit" type="button">Submit (Enter)</button>
    <div class="keys">Keys: 1 yes · 2 maybe · 3 no for the focused label; ↑/↓ or Tab to move; Enter submits.</div></div></div>\`;
  document.querySelectorAll('.label').forEach(el=>{
    const i=+el.dataset.i;
    el.addEventListener('focus',()=>{focus=i});
    el.querySelectorAll('button').forEach(b=>b.addEventListener('click',()=>{set(i,b.dataset.a);el.focus()}));
  });
  $('#submit').addEventListener('click',submit);
  paint();focusLabel(0);
}
function set(i,a){if(state[i].answer!==a){state[i].answer=a;state[i].changed=true}paint()}
function paint(){
  document.querySelectorAll('.label').forEach(el=>{const s=state[+el.dataset.i];
    el.querySelectorAll('button').forEach(b=>b.classList.toggle('on',b.dataset.a===s.answer))});
  $('#submit').disabled=state.some(s=>!s.answer);
}
function focusLabel(i){const els=document.querySelectorAll('.label');if(!els.length)return;focus=Math.max(0,Math.min(els.length-1,i));els[focus].focus()}
async function submit(){
  if(!cur||state.some(s=>!s.answer))return;
  const body={assignment:cur.assignment,ms:Math.round(performance.now()-started),
    answers:cur.labels.map((l,i)=>({label:l.label,answer:state[i].answer,changed:state[i].changed}))};
  $('#submit').disabled=true;
  const r=await api('POST','/api/answers',body);
  if(r.status!==200&&r.status!==409&&r.status!==410){$('#status').textContent='Not saved: '+(r.body&&r.body.message||r.status);$('#submit').disabled=false;return}
  next();
}
document.addEventListener('keydown',e=>{
  if(!cur||e.altKey||e.ctrlKey||e.metaKey)return;
  const k={'1':'yes','2':'maybe','3':'no'}[e.key];
  if(k){e.preventDefault();set(focus,k);if(focus<cur.labels.length-1)focusLabel(focus+1);return}
  if(e.key==='ArrowDown'){e.preventDefault();focusLabel(focus+1)}
  else if(e.key==='ArrowUp'){e.preventDefault();focusLabel(focus-1)}
  else if(e.key==='Enter'){e.preventDefault();submit()}
});
next();
</script></body></html>`;
}

export function adminPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>realabel: admin</title><style>${STYLE}
section{background:#fff;border-radius:6px;padding:10px 14px;margin-bottom:12px;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:right;padding:3px 8px;border-bottom:1px solid #eef}
th:first-child,td:first-child{text-align:left}.bar{height:10px;background:#3a6ff7;border-radius:2px}
.big{font-size:22px;font-weight:600}.grid{display:flex;gap:24px;flex-wrap:wrap}
input{font:inherit;padding:4px}.banned{color:#c8433a}
</style></head><body>
<header><b>realabel admin</b><span id="at" class="muted"></span></header>
<main>
<section><div class="grid" id="summary">Loading…</div></section>
<section><h3>Raters</h3><form id="add"><input id="name" placeholder="new rater name" required> <button>Add rater</button> <span id="invite"></span></form>
<table id="raters"></table></section>
<section><h3>Agreement and posteriors</h3><div id="quality" class="muted">computing…</div></section>
<section><h3>Export</h3><a id="csv" href="#">answers.csv</a> · <a id="jsonl" href="#">answers.jsonl</a> · <a id="ls" href="#">Label Studio JSON</a></section>
</main>
<script>
const token=new URLSearchParams(location.search).get('token')||'';
const $=s=>document.querySelector(s);
const esc=s=>String(s).replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
const pct=x=>x==null?'–':(100*x).toFixed(1)+'%';const num=(x,d=3)=>x==null?'–':(+x).toFixed(d);
async function get(p){const r=await fetch(p,{headers:{authorization:'Bearer '+token}});if(!r.ok)throw new Error((await r.json()).message);return r.json()}
['csv','jsonl'].forEach(f=>$('#'+f).href='/api/export?format='+f+'&token='+encodeURIComponent(token));
$('#ls').href='/api/export?format=label-studio&token='+encodeURIComponent(token);
$('#add').addEventListener('submit',async e=>{e.preventDefault();
  const r=await fetch('/api/raters',{method:'POST',headers:{authorization:'Bearer '+token,'content-type':'application/json'},body:JSON.stringify({name:$('#name').value})});
  const j=await r.json();$('#invite').innerHTML=r.ok?'invite link: <code>'+esc(j.url)+'</code>':esc(j.message);$('#name').value='';load()});
async function load(){
  try{
    const [p,q]=await Promise.all([get('/api/progress'),get('/api/quality')]);
    $('#at').textContent='updated '+new Date().toLocaleTimeString();
    $('#summary').innerHTML=\`<div><div class="big">\${p.tasks_complete} / \${p.tasks}</div>tasks complete</div>
      <div><div class="big">\${p.answers}</div>answers</div><div><div class="big">\${num(q.fleiss_kappa)}</div>Fleiss' κ</div>
      <div><div class="big">\${pct(q.pairwise_agreement)}</div>pairwise agreement</div>\`;
    const qr=new Map(q.raters.map(r=>[r.id,r]));
    $('#raters').innerHTML='<tr><th>rater</th><th>answers</th><th>last hour</th><th>gold accuracy</th><th>gold confusion (absent: n/m/y · present: n/m/y)</th><th>median ms / label</th><th>agreement</th></tr>'+
      p.raters.map(r=>{const x=qr.get(r.id)||{};return \`<tr class="\${r.banned?'banned':''}"><td>\${esc(r.name)}\${r.banned?' (banned: '+esc(r.ban_reason)+')':''}</td><td>\${r.answers}</td><td>\${r.answers_last_hour}</td>
        <td>\${pct(x.gold_accuracy)} <span class="muted">(\${x.gold_correct||0}/\${x.gold_answers||0})</span></td>
        <td>\${x.gold_confusion?x.gold_confusion.map(c=>c.join('/')).join(' · '):'–'}</td><td>\${num(x.median_ms_per_label,0)}</td><td>\${pct(x.agreement)}</td></tr>\`}).join('');
    const h=q.posteriors.histogram,m=Math.max(1,...h);
    $('#quality').innerHTML=\`method: <b>\${q.method||'–'}</b> · \${q.posteriors.questions} questions · \${q.posteriors.present} at ≥ 0.8 · \${q.posteriors.uncertain} uncertain
      <table><tr><th>posterior</th><th>questions</th><th style="width:60%"></th></tr>\${h.map((c,i)=>\`<tr><td>\${(i/10).toFixed(1)}–\${((i+1)/10).toFixed(1)}</td><td>\${c}</td><td><div class="bar" style="width:\${100*c/m}%"></div></td></tr>\`).join('')}</table>
      <h4>Least certain</h4><table><tr><th>question</th><th>task</th><th>posterior</th></tr>\${q.posteriors.least_certain.slice(0,15).map(x=>\`<tr><td>\${esc(x.question)}</td><td>\${esc(x.task)}</td><td>\${num(x.posterior)}</td></tr>\`).join('')}</table>\`;
  }catch(e){$('#summary').textContent='Error: '+e.message}
}
load();setInterval(load,5000);
</script></body></html>`;
}
