//! `zhclean review`: the page built for real runs, read back as text.

use std::fs;
use std::path::Path;

use crate::util::{clean, fixtures, input_dir, zhclean};

fn review(out: &Path, args: &[&str]) -> std::process::Output {
    zhclean()
        .arg("review")
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

/// `zhclean clean INPUT`, then `zhclean review` of it: the run and its index page.
fn reviewed(input: &Path) -> (crate::util::Run, String) {
    let run = clean(input, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let st = review(&run.out(), &[]);
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(st.status.success(), "{err}");
    let index = read(&run.out().join("review/index.html"));
    (run, index)
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The seeds: every cluster is on the page with its kept and removed copies, the
/// document cluster lists its paragraph clusters, every furniture rule that fired is
/// named, and each file has a page with its removed lines struck through.
#[test]
fn the_seeds_review_shows_every_cluster_rule_and_file() {
    let (run, index) = reviewed(&fixtures().join("seeds"));
    let clusters = run.jsonl("clusters.jsonl");
    assert_eq!(clusters.len(), 21);
    for c in &clusters {
        let id = c["cluster"].as_u64().unwrap();
        let level = c["level"].as_str().unwrap();
        let tag = format!("id=\"c{id}\" data-id=\"{id}\" data-level=\"{level}\"");
        assert!(index.contains(&tag), "cluster {id} missing");
    }
    assert_eq!(index.matches("data-level=\"paragraph\"").count(), 20);
    assert_eq!(index.matches("data-level=\"document\"").count(), 1);
    // Each removed member is shown beside the kept one.
    let removed_members: usize = clusters
        .iter()
        .map(|c| c["members"].as_array().unwrap().len() - 1)
        .sum();
    assert_eq!(index.matches("class=\"pair\"").count(), removed_members);
    // The document cluster links the paragraph clusters inside it.
    let doc = &index[index.find("data-level=\"document\"").unwrap()..];
    let doc = &doc[..doc.find("</section>").unwrap()];
    assert!(doc.contains("Paragraph clusters inside these documents"));
    assert!(doc.contains("href=\"#c0\""));
    for rule in run.summary()["boilerplate_rules"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(index.contains(&format!("<code>{rule}</code>")), "{rule}");
    }
    // Differences are marked: the seeds' copies differ in masks and edits somewhere.
    assert!(index.contains("class=\"only-a") && index.contains("class=\"only-b"));
    assert!(
        index.contains("name\">习近平"),
        "names folded by --fold entities"
    );
    assert!(index.contains("near copy: the mask-aware alignment of their key tokens scores 0.9709"));
    // The seeds' copies at similarity 1 differ in width or masks only.
    assert!(index.contains("the same key text once masks"));
    // No network: nothing that would load from elsewhere.
    for bad in ["http://", "https://", "<link", "src=\""] {
        let hits: Vec<_> = index
            .match_indices(bad)
            .filter(|(i, _)| !index[*i..].starts_with("http://www.w3.org/2000/svg"))
            .collect();
        assert!(hits.is_empty(), "{bad} in the page");
    }
    // File pages: one per file, removed lines struck through with their reason, masks
    // marked, paragraphs boxed, links back to the clusters.
    let files: Vec<_> = fs::read_dir(run.out().join("review/files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 5);
    let all: String = files.iter().map(|p| read(p)).collect();
    assert!(all.contains("class=\"ln rm\""));
    assert!(all.contains("furniture: date-line"));
    assert!(all.contains("href=\"../index.html#c20\""));
    assert!(all.contains("class=\"mask\" title=\"year → 20××\""));
    assert!(all.contains("class=\"para\""));
    // Building it again gives the same bytes, and replaces the old page.
    let st = review(&run.out(), &[]);
    assert!(st.status.success());
    assert_eq!(read(&run.out().join("review/index.html")), index);
    let stray: Vec<_> = fs::read_dir(run.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".zhclean-review-"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// Scraped text is untrusted: markup in the input shows as text on every page.
#[test]
fn markup_in_the_input_is_shown_as_text() {
    let (_d, input) = input_dir();
    let evil = "<script>alert('zhclean')</script>同志们，今年全市上下认真贯彻落实各项决策部署，经济社会发展取得显著成效。<img src=x onerror=alert(1)>";
    fs::write(
        input.join("a.txt"),
        format!("{evil}\n第二段内容与此不同，讲的是另一件事情。\n"),
    )
    .unwrap();
    fs::write(input.join("b.txt"), format!("标题<b>\n{evil}\n")).unwrap();
    let (run, index) = reviewed(&input);
    assert!(!run.jsonl("clusters.jsonl").is_empty());
    let mut pages = vec![index];
    for e in fs::read_dir(run.out().join("review/files")).unwrap() {
        pages.push(read(&e.unwrap().path()));
    }
    for p in &pages {
        assert!(!p.contains("<script>alert"), "raw script");
        assert!(!p.contains("<img src=x"), "raw img");
        assert!(!p.contains("标题<b>"), "raw b");
        // The page's own script is the one script element.
        assert!(p.matches("<script>").count() <= 1);
    }
    assert!(pages
        .iter()
        .any(|p| p.contains("&lt;script&gt;alert(&#39;zhclean&#39;)")));
    assert!(pages[0].contains("exact: the same text"));
}

/// --sample bounds the clusters and files shown and is the same for a seed; --input
/// finds a moved input; a folder that is not a run is refused with a message.
#[test]
fn sample_input_and_bad_folders() {
    let (_d, input) = input_dir();
    let seeds = fixtures().join("seeds");
    for e in fs::read_dir(&seeds).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, input.join(p.file_name().unwrap())).unwrap();
    }
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 0);
    let st = review(&run.out(), &["--sample", "1", "--seed", "7"]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let one = read(&run.out().join("review/index.html"));
    let shown = one.matches("<section class=\"cluster\"").count();
    // At most one per similarity band (four bands), at least one.
    assert!((1..=4).contains(&shown), "{shown}");
    assert!(one.contains("Sample: 1 clusters of each similarity band"));
    assert_eq!(
        fs::read_dir(run.out().join("review/files"))
            .unwrap()
            .count(),
        1
    );
    review(&run.out(), &["--sample", "1", "--seed", "7"]);
    assert_eq!(read(&run.out().join("review/index.html")), one);
    // The input moves: summary.json's path is gone, --input finds it.
    let moved = input.with_file_name("moved");
    fs::rename(&input, &moved).unwrap();
    let st = review(&run.out(), &[]);
    assert_eq!(st.status.code(), Some(2), "a missing input is refused");
    assert!(String::from_utf8_lossy(&st.stderr).contains("--input"));
    let st = review(&run.out(), &["--input", moved.to_str().unwrap()]);
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    // Not a run's folder.
    let st = review(&moved, &[]);
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("no report/summary.json"), "{err}");
    assert!(!moved.join("review").exists());
}

/// A text that recurs many times: the least similar copies are shown beside the kept
/// one, up to a bound, and the rest are listed by place.
#[test]
fn a_big_cluster_shows_a_bounded_number_of_pairs() {
    let (_d, input) = input_dir();
    let text = "各级党组织要把学习贯彻会议精神作为当前和今后一个时期的重要政治任务，认真组织学习，深刻领会精神实质。";
    for i in 0..25 {
        fs::write(input.join(format!("{i:02}.txt")), format!("{text}\n")).unwrap();
    }
    let (run, index) = reviewed(&input);
    let clusters = run.jsonl("clusters.jsonl");
    let members: usize = clusters
        .iter()
        .filter(|c| c["level"] == "paragraph")
        .map(|c| c["members"].as_array().unwrap().len())
        .sum();
    assert_eq!(members, 25);
    let para = &index[index.find("data-level=\"paragraph\"").unwrap()..];
    let para = &para[..para.find("</section>").unwrap()];
    assert_eq!(para.matches("class=\"pair\"").count(), 20);
    assert!(
        para.contains("4 more removed copies, not shown side by side"),
        "{para}"
    );
}
