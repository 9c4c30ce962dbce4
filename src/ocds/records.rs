//! Records (OCDS 1.1 merging, docs/DATA.md): a procedure's releases in feed order and the
//! compiled release built from them.
//!
//! The subset of the merge rules implemented: objects merge field by field; an array of objects
//! that all carry an `id` is merged by identity (an object with a new `id` is appended, one with a
//! known `id` is merged into it); every other array, and every other value, is replaced by the
//! newer one; a `null` removes the field. The releases' own `id`, `date` and `tag` are not merged:
//! the compiled release takes the newest date, the tag `compiled` and the id `<ocid>-compiled`.

use serde_json::{Map, Value, json};

/// The compiled release of a procedure's releases, in the order they were published.
pub fn compile(ocid: &str, releases: &[Value]) -> Value {
    let mut compiled = Value::Object(Map::new());
    for r in releases {
        let mut r = r.clone();
        if let Some(o) = r.as_object_mut() {
            o.remove("id");
            o.remove("tag");
        }
        merge(&mut compiled, &r);
    }
    compiled["ocid"] = json!(ocid);
    compiled["id"] = json!(format!("{ocid}-compiled"));
    compiled["tag"] = json!(["compiled"]);
    if let Some(last) = releases.last() {
        compiled["date"] = last["date"].clone();
    }
    compiled
}

/// Merges `newer` into `into` by the rules above.
pub fn merge(into: &mut Value, newer: &Value) {
    match (into, newer) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                if v.is_null() {
                    a.remove(k);
                    continue;
                }
                match a.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        let mut fresh = Value::Null;
                        merge(&mut fresh, v);
                        a.insert(k.clone(), fresh);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if identified(b) && identified(a) => {
            for item in b {
                match a.iter_mut().find(|x| x["id"] == item["id"]) {
                    Some(existing) => merge(existing, item),
                    None => a.push(strip_nulls(item)),
                }
            }
        }
        (slot, v) => *slot = strip_nulls(v),
    }
}

fn identified(items: &[Value]) -> bool {
    items
        .iter()
        .all(|x| x.get("id").is_some_and(|id| !id.is_null()))
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        v => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identified_arrays_merge_by_id_and_others_are_replaced() {
        let r1 = json!({"ocid": "o", "id": "o-1", "date": "d1", "tag": ["tender"],
            "tender": {"id": "t", "status": "active", "items": [1, 2], "description": "x",
                       "amendments": [{"id": "a1", "rationale": "r1"}]},
            "awards": [{"id": "b1", "status": "pending"}, {"id": "b2", "status": "pending"}]});
        let r2 = json!({"ocid": "o", "id": "o-2", "date": "d2", "tag": ["award"],
            "tender": {"id": "t", "status": "complete", "items": [3], "description": null,
                       "amendments": [{"id": "a2", "rationale": "r2"}]},
            "awards": [{"id": "b2", "status": "active", "value": {"amount": 1.5}},
                       {"id": "b1", "status": "unsuccessful"}]});
        let c = compile("o", &[r1, r2]);
        assert_eq!(c["id"], "o-compiled");
        assert_eq!(c["date"], "d2");
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["tender"]["status"], "complete");
        assert_eq!(c["tender"]["items"], json!([3]));
        assert!(c["tender"].get("description").is_none());
        assert_eq!(c["tender"]["amendments"].as_array().unwrap().len(), 2);
        assert_eq!(
            c["awards"],
            json!([{"id": "b1", "status": "unsuccessful"},
            {"id": "b2", "status": "active", "value": {"amount": 1.5}}])
        );
    }
}
