//! The HTML pieces of the review pages: escaping (every text the input gave is
//! untrusted), the page shell with its inline style and script, and the inline SVG
//! charts. No network: nothing is loaded from anywhere.

use std::fmt::Write;

/// `s` as HTML text or attribute value: `& < > " '` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// [`escape`], appended to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

const STYLE: &str = r#"
body{font:15px/1.6 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header,main{max-width:1400px;margin:0 auto;padding:0 1.2em}
header{padding-top:1em}
h1{font-size:1.5em;margin:.3em 0}
h2{font-size:1.2em;margin:1.4em 0 .5em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.4em 0}
td,th{padding:.15em .7em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:2em}
.charts figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3em}
.bar{fill:#4a7fc1}.bar.dup{fill:#c0504d}.bar.doc{fill:#8e3b3b}.bar.furn{fill:#d99a2b}.bar.empty{fill:#999}
svg text{font-size:12px;fill:#333}
.filters{display:flex;flex-wrap:wrap;gap:1em;align-items:center;background:#fff;padding:.5em;border:1px solid #ddd;position:sticky;top:0;z-index:1}
.cluster{background:#fff;border:1px solid #ddd;margin:.6em 0;padding:.3em .8em}
.cluster summary{cursor:pointer}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em;margin:.5em 0;border-top:1px dashed #ddd;padding-top:.4em}
.pair h4{margin:.1em 0;font-size:.9em;font-weight:600;color:#555}
.txt{white-space:pre-wrap;word-break:break-all;font-size:14px}
.only-a{background:#ffd7d5;text-decoration:line-through}
.only-b{background:#c9f2cf}
.fold{text-decoration:underline dotted #2b7bb9;text-underline-offset:3px}
.name{border-bottom:2px solid #e08a00}
.mask{outline:2px solid #8a5cd1;background:#eadcff}
.kept{color:#2a7a2a;font-weight:600}
.removed{color:#b03a2e;font-weight:600}
.files td a{white-space:nowrap}
.para{border-left:3px solid #9fb8dc;margin:.35em 0;padding-left:.5em}
.ln{display:flex;gap:.7em}
.ln .no{color:#999;min-width:3.5em;text-align:right;user-select:none;font-variant-numeric:tabular-nums}
.ln .t{white-space:pre-wrap;word-break:break-all;flex:1}
.ln.rm .t{text-decoration:line-through;color:#8a8a8a}
.ln .why{font-size:.8em;white-space:nowrap;color:#b03a2e}
.ln .why a{color:inherit}
.legend span{margin-right:1em;padding:0 .3em}
.note{color:#666;font-size:.9em}
"#;

const SCRIPT: &str = r#"
(function(){
  var list=document.getElementById('cluster-list');
  if(!list)return;
  var items=Array.prototype.slice.call(list.querySelectorAll('.cluster'));
  function val(id){return document.getElementById(id).value;}
  function apply(){
    var level=val('f-level'),min=parseInt(val('f-size')||'0',10),maxs=parseFloat(val('f-sim')||'1'),file=val('f-file').toLowerCase(),sort=val('f-sort');
    var shown=0;
    items.forEach(function(c){
      var ok=(level===''||c.dataset.level===level)&&parseInt(c.dataset.size,10)>=min&&parseFloat(c.dataset.sim)<=maxs&&(file===''||c.dataset.files.toLowerCase().indexOf(file)>=0);
      c.hidden=!ok;if(ok)shown++;
    });
    var key={size:function(c){return [-parseInt(c.dataset.size,10),parseFloat(c.dataset.sim),parseInt(c.dataset.id,10)];},
             sim:function(c){return [parseFloat(c.dataset.sim),-parseInt(c.dataset.size,10),parseInt(c.dataset.id,10)];},
             id:function(c){return [parseInt(c.dataset.id,10)];}}[sort];
    items.slice().sort(function(a,b){var x=key(a),y=key(b);for(var i=0;i<x.length;i++){if(x[i]!==y[i])return x[i]<y[i]?-1:1;}return 0;})
      .forEach(function(c){list.appendChild(c);});
    document.getElementById('f-count').textContent=shown+' of '+items.length+' clusters shown';
  }
  ['f-level','f-size','f-sim','f-file','f-sort'].forEach(function(id){
    var e=document.getElementById(id);e.addEventListener('input',apply);e.addEventListener('change',apply);
  });
  apply();
})();
"#;

/// A whole page: `title` (escaped here), then `body` (already HTML).
pub fn page(title: &str, body: &str, script: bool) -> String {
    let mut out = String::with_capacity(body.len() + STYLE.len() + SCRIPT.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing from the network, not even by accident.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = write!(
        out,
        "<title>{}</title>\n<style>{STYLE}</style>\n",
        escape(title)
    );
    out.push_str("</head>\n<body>\n");
    out.push_str(body);
    if script {
        let _ = writeln!(out, "<script>{SCRIPT}</script>");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A horizontal bar chart: one bar per `(label, value, class)`, scaled to the largest.
pub fn bar_chart(rows: &[(String, f64, &str)], unit: &str) -> String {
    let (label_w, bar_w, row_h) = (170.0, 300.0, 22.0);
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let h = row_h * rows.len().max(1) as f64 + 6.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{h}\" role=\"img\">",
        label_w + bar_w + 110.0
    );
    for (i, (label, v, class)) in rows.iter().enumerate() {
        let y = 3.0 + i as f64 * row_h;
        let w = if max > 0.0 { bar_w * v / max } else { 0.0 };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar {}\" x=\"{label_w}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{} {}</text>",
            label_w - 6.0,
            y + 15.0,
            escape(label),
            escape(class),
            y + 3.0,
            row_h - 6.0,
            label_w + w + 5.0,
            y + 15.0,
            thousands(*v as u64),
            escape(unit)
        );
    }
    s.push_str("</svg>");
    s
}

/// A histogram: one column per `(label, count)`.
pub fn histogram(bins: &[(String, u64)]) -> String {
    let (col_w, h, top) = (54.0, 120.0, 16.0);
    let max = bins.iter().map(|b| b.1).max().unwrap_or(0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">",
        col_w * bins.len().max(1) as f64 + 10.0,
        h + top + 22.0
    );
    for (i, (label, n)) in bins.iter().enumerate() {
        let x = 5.0 + i as f64 * col_w;
        let bh = if max > 0 {
            h * *n as f64 / max as f64
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{}\" y=\"{:.1}\" width=\"{}\" height=\"{bh:.1}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + 4.0,
            top + h - bh,
            col_w - 8.0,
            x + col_w / 2.0,
            top + h - bh - 3.0,
            thousands(*n),
            x + col_w / 2.0,
            top + h + 16.0,
            escape(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// `n` with thousands separators.
pub fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_become_markup() {
        let evil = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;";
        let e = escape(evil);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
        assert_eq!(
            e,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x \
             onerror=alert(1)&gt;&amp;amp;"
        );
        assert_eq!(escape("同志们：今年"), "同志们：今年");
        // Labels of charts are escaped too.
        let svg = bar_chart(&[("<b>".into(), 3.0, "x\"y")], "chars");
        assert!(svg.contains("&lt;b&gt;") && svg.contains("x&quot;y") && !svg.contains("<b>"));
        let page = page("<t>", "<p>body</p>", false);
        assert!(page.contains("<title>&lt;t&gt;</title>") && page.contains("<p>body</p>"));
    }

    #[test]
    fn numbers_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
