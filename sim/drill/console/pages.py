"""HTML of the console's views (plain HTML + a little JavaScript polling ``/api/state``)."""

from __future__ import annotations

from sim.drill.sheets import CSS, esc

STYLE = (
    CSS
    + """
.bar{display:flex;gap:1em;align-items:center;background:#1d3557;color:#fff;padding:.6em 1em;border-radius:6px}
.bar b{font-size:1.3em} button{font-size:1em;padding:.3em .8em;margin:.1em;cursor:pointer}
.rel{background:#eef7ee} .due{background:#fff6dd} #msg{color:#b00}
input{font-size:1em;padding:.2em} .small{font-size:.85em;color:#555}
"""
)

JS_COMMON = """
const $=s=>document.querySelector(s);
const e=s=>String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const bi=d=>d?`${e(d.zh)}<br><span class=en>${e(d.en)}</span>`:'';
async function post(u,b){const r=await fetch(u,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(b||{})});
 if(!r.ok){$('#msg').textContent=(await r.json()).detail||r.status} else {$('#msg').textContent=''} tick(); return r.ok;}
function head(s){$('#clock').textContent=s.clock; $('#state').textContent=s.state;
 $('#dmin').textContent='T+'+String(Math.floor(s.drill_min/60)).padStart(2,'0')+':'+String(Math.floor(s.drill_min%60)).padStart(2,'0');}
function cards(s){return s.cards.map(c=>`<div class=card data-card="${e(c.card)}"><div class=no>信息卡 Card ${e(c.card)} · ${e(c.released_clock)} · ${bi(c.method)}</div>
 <div class=no>发出 From: ${bi(c.from)} → 接收 To: ${bi(c.to)}</div><div class=msg>${e(c.zh)}</div><div class=en>${e(c.en)}</div></div>`).reverse().join('')}
async function tick(){const r=await fetch('/api/state'); if(!r.ok){$('#msg').textContent='session ended';clearInterval(timer);return}
 const s=await r.json(); head(s); render(s);}
const timer=setInterval(tick,1000); window.addEventListener('load',tick);
"""

JS = {
    "player": """
function render(s){$('#cards').innerHTML=s.cards.length?cards(s):'<p class=small>等待导调组发布信息 · waiting for the control team</p>';}
""",
    "controller": """
function render(s){
 const n=s.next; $('#next').innerHTML=n?`下一注入 next: #${n.seq} in ${n.in_min.toFixed(1)} drill min (${Math.max(0,n.in_min*60/s.speed).toFixed(0)} s)`:'全部注入已发布 all injects released';
 const cr=new Set(s.contingencies_released.map(x=>x.join('.'))), end=s.state==='ended';
 const off=t=>t?` disabled title="${t}"`:'';  // greyed out, with the reason the server would give
 const endt=end?'演练已结束 the drill has ended (ENDEX)':(s.state==='ready'?'演练尚未开始 the drill has not started (STARTEX)':'');
 $('#msel').innerHTML=s.msel.map(i=>`<tr class="${i.released?'rel':(n&&n.seq==i.seq?'due':'')}" id="inj-${i.seq}"><td>${i.seq}</td><td>${e(i.scenario_time)}<br>${e(i.clock)}</td>
 <td>${bi(i.synopsis)}</td><td>${bi(i.inject)}</td><td>${i.expected.map(a=>`<b>${i.seq}${e(a.id)}</b> ${bi(a)}<br><i>${bi(a.benchmark_text)}</i>`).join('<br>')}</td>
 <td>${i.released?'已发布 released':`<button data-release="${i.seq}" onclick="post('/api/release/${i.seq}')"${off(endt)}>发布 release</button>`}
 ${i.contingency.map((c,k)=>c.player?`<br><button data-contingency="${i.seq}.${k}" onclick="post('/api/contingency/${i.seq}/${k}')"${off(cr.has(i.seq+'.'+k)?'已发布 released':endt||(i.released?'':'注入尚未发布 inject not released yet'))}>应变 ${i.seq}.${k+1}</button>`:'').join('')}</td></tr>`).join('');
}
""",
    "evaluator": """
let seen='';
function render(s){const key=JSON.stringify([s.rows.map(r=>r.id),s.observations.length]); if(key===seen)return; seen=key;
 // the table is rebuilt when anyone records anything: what is being typed (not yet
 // recorded) and where the cursor is are kept across it
 const keep={}; document.querySelectorAll('#rows input').forEach(i=>{keep[i.id]=i.value});
 const f=document.activeElement, fid=f&&f.closest&&f.closest('#rows')?f.id:'';
 const sel=fid?[f.selectionStart,f.selectionEnd]:null;
 const obs={}; s.observations.forEach(o=>{(obs[o.row_id]=obs[o.row_id]||[]).push(o)});
 $('#rows').innerHTML=s.rows.map(r=>`<tr id="row-${e(r.id)}"><td>${e(r.id)}</td><td>${e(r.clock)}</td><td>${bi(r.action)}<br><i>${e(r.who)} ${e(r.plan_source)}</i></td>
 <td>${bi(r.benchmark_text)}</td><td class=obs>${(obs[r.id]||[]).map(o=>`<div class=observed>${e(o.observed_text)} ${e(o.evaluator)} ${e(o.notes)}</div>`).join('')}
 <input size=8 placeholder="${r.people?'HH:MM / 人数':'HH:MM'}" id="t-${e(r.id)}"> <input size=14 placeholder="备注 notes" id="n-${e(r.id)}">
 <button onclick="rec('${e(r.id)}')">记录 record</button></td></tr>`).join('');
 for(const [k,v] of Object.entries(keep)){const i=document.getElementById(k); if(i)i.value=v;}
 const g=fid&&document.getElementById(fid); if(g){g.focus(); try{g.setSelectionRange(sel[0],sel[1])}catch(_){}}}
async function rec(id){const ok=await post('/api/observe',{row_id:id,observed:$('#t-'+id).value,notes:$('#n-'+id).value,evaluator:$('#who').value});
 if(ok){$('#t-'+id).value='';$('#n-'+id).value=''}}  // recorded: this row's fields are done
""",
}

BODY = {
    "player": "<h2>信息卡 Player cards</h2><div id=cards></div>",
    "controller": (
        "<p><button onclick=\"post('/api/clock/start')\">开始 STARTEX</button>"
        "<button onclick=\"post('/api/clock/pause')\">暂停 pause</button>"
        "<button onclick=\"post('/api/clock/resume')\">继续 resume</button>"
        "<button onclick=\"post('/api/clock/end')\">结束 ENDEX</button> <span id=next></span></p>"
        "<table><tr><th>#</th><th>时间 Time</th><th>概要 Synopsis</th><th>注入 Inject</th>"
        "<th>预期行动 Expected</th><th>操作 Action</th></tr><tbody id=msel></tbody></table>"
    ),
    "evaluator": (
        "<p>评估人 Evaluator: <input id=who size=12></p><p class=small>输入实际完成的情景时钟时间"
        "（HH:MM）；尚未记录的行留空则记录当前时刻，已记录的行或演练结束后留空只记备注（不改时刻）；"
        "人数标准一栏可填人数。Type the clock time observed (HH:MM). Empty = now for a row not "
        "yet observed; on a row already observed, or after ENDEX, an empty time only adds the "
        "note (the observed time stays). Where the standard is a number of people, type that "
        "number.</p>"
        "<table><tr><th>编号 ID</th><th>注入时刻 Inject</th><th>预期行动 Expected action</th>"
        "<th>基准 Benchmark</th><th>记录 Observed</th></tr><tbody id=rows></tbody></table>"
    ),
}
TITLES = {
    "player": "参演人员 Player view",
    "controller": "导调组 Controller view",
    "evaluator": "评估组 Evaluator view",
}


def _doc(title: str, body: str, script: str = "") -> str:
    return (
        f"<!doctype html><html lang=zh><head><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}<script>{script}</script></body></html>"
    )


def login_page(pkg: dict, message: str) -> str:
    d = pkg["district"]
    body = (
        f"<h1>{esc(d['zh'])} 应急演练控制台 · {esc(d['en'])} drill console</h1>"
        f"<p class=meta>演练 drill {esc(pkg['drill_id'])}</p>"
        f"<p id=msg>{esc(message)}</p><form method=post action=/login>"
        "<label>访问码 Access code: <input name=code autofocus autocomplete=off></label> "
        "<button type=submit>进入 Enter</button></form>"
    )
    return _doc(f"drill {pkg['drill_id']}", body)


def role_page(pkg: dict, role: str) -> str:
    d = pkg["district"]
    bar = (
        f"<div class=bar><span>{esc(d['zh'])} {esc(pkg['drill_id'])} · {esc(TITLES[role])}</span>"
        "<b id=clock></b><span id=dmin></span><span id=state></span>"
        "<a href=/logout style='color:#fff'>退出 logout</a></div><p id=msg></p>"
    )
    return _doc(TITLES[role], bar + BODY[role], JS_COMMON + JS[role])
