//! The last step of the group phase: clusters numbered into `clusters.jsonl` records.

use super::*;

/// What numbering hands the write phase: the records, and the cluster that removes
/// each paragraph and each document (by global id).
pub(in crate::pipeline) struct Numbered {
    pub(in crate::pipeline) records: Vec<ClusterRecord>,
    pub(in crate::pipeline) para_removed: Vec<Option<u32>>,
    pub(in crate::pipeline) doc_removed: Vec<Option<u32>>,
}

/// Step 8: stable ids, paragraph clusters by first member, then document clusters
/// likewise, and each cluster's `clusters.jsonl` record.
pub(in crate::pipeline) fn number(
    files: &[FileFacts],
    ids: &Ids,
    para_clusters: Vec<Cluster>,
    doc_clusters: Vec<Cluster>,
    prior: &Prior,
) -> Numbered {
    let mut out = Numbered {
        records: Vec::new(),
        para_removed: vec![None; ids.paras.len()],
        doc_removed: vec![None; ids.doc_file.len()],
    };
    emit_clusters(
        Level::Paragraph,
        para_clusters,
        0,
        &mut out.para_removed,
        &mut out.records,
        |m| {
            let (p, f, _) = ids.paras[m as usize];
            Place {
                file: files[f as usize].rel_path.clone(),
                lines: p.lines,
                cols: p.cols,
                script: p.script,
                indexed: prior.runs.get(f as usize).copied(),
            }
        },
    );
    let base = out.records.len() as u32;
    emit_clusters(
        Level::Document,
        doc_clusters,
        base,
        &mut out.doc_removed,
        &mut out.records,
        |d| {
            let f = ids.doc_file[d as usize] as usize;
            Place {
                file: files[f].rel_path.clone(),
                lines: ids.doc_lines[d as usize],
                cols: None,
                script: ids.doc_script[d as usize],
                indexed: prior.runs.get(f).copied(),
            }
        },
    );
    out
}

/// Put members in id order and clusters in order of their first member: the order
/// that numbers clusters.
pub fn order_clusters(clusters: &mut [Cluster]) {
    for (_, m) in clusters.iter_mut() {
        m.sort_by_key(|x| x.0);
    }
    clusters.sort_by_key(|(_, m)| m[0].0);
}

/// The `clusters.jsonl` record of cluster `cid` (members in id order). `place` names a
/// member's file and line range.
pub fn cluster_record(
    cid: u32,
    level: Level,
    kept: u32,
    members: &[Member],
    place: impl Fn(u32) -> Place,
) -> ClusterRecord {
    let placed: Vec<Place> = members.iter().map(|&(m, ..)| place(m)).collect();
    // Members in both scripts: the record says so, and which member is which.
    let mixed = placed.windows(2).any(|w| w[0].script != w[1].script);
    ClusterRecord {
        cluster: cid,
        level,
        kept: members
            .iter()
            .position(|x| x.0 == kept)
            .expect("kept is a member"),
        scripts: mixed.then(|| vec!["simplified", "traditional"]),
        members: members
            .iter()
            .zip(placed)
            .map(|(&(_, s, containment), p)| ClusterMember {
                file: p.file,
                lines: p.lines,
                cols: p.cols,
                similarity: round4(s),
                containment,
                script: mixed.then(|| p.script.name()),
                indexed: p.indexed.is_some(),
                index_run: p.indexed,
            })
            .collect(),
    }
}

/// Number `clusters` from `base` in order of their first member, mark every non-kept
/// member as removed by its cluster, and push the records.
pub(in crate::pipeline) fn emit_clusters(
    level: Level,
    mut clusters: Vec<Cluster>,
    base: u32,
    removed: &mut [Option<u32>],
    records: &mut Vec<ClusterRecord>,
    place: impl Fn(u32) -> Place,
) {
    order_clusters(&mut clusters);
    for (j, (kept, members)) in clusters.iter().enumerate() {
        let cid = base + j as u32;
        for &(m, _, _) in members {
            if m != *kept {
                removed[m as usize] = Some(cid);
            }
        }
        records.push(cluster_record(cid, level, *kept, members, &place));
    }
}
