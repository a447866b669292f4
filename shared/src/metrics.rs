//! CloudWatch metrics in the embedded metric format (EMF): one JSON object
//! on a line of standard output, which Lambda's log pipeline turns into
//! metric values. No PutMetricData call on the way and no permission beyond
//! writing logs, which every function has.

use serde_json::{json, Value};

/// The namespace of the API's own metrics.
pub const NAMESPACE: &str = "microblog";
/// The metric of the open queue's oldest report, in hours (0 when none is
/// open); template.yaml's `OpenReportAgeAlarm` watches it.
pub const OLDEST_OPEN_REPORT_AGE: &str = "OldestOpenReportAgeHours";
/// The metric of how many reports are open.
pub const OPEN_REPORTS: &str = "OpenReports";

/// The moderation queue's state as one EMF object for table `table` (the
/// metrics' one dimension, so two stacks in one account never mix), at
/// `now_ms` (epoch milliseconds).
pub fn report_queue(table: &str, open: u64, oldest_age_seconds: u64, now_ms: i64) -> Value {
    json!({
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Table"]],
                "Metrics": [
                    {"Name": OLDEST_OPEN_REPORT_AGE, "Unit": "None"},
                    {"Name": OPEN_REPORTS, "Unit": "Count"},
                ],
            }],
        },
        "Table": table,
        OLDEST_OPEN_REPORT_AGE: oldest_age_seconds as f64 / 3600.0,
        OPEN_REPORTS: open,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_metric_names_every_value_it_declares_under_one_table_dimension() {
        let line = report_queue("microblog-Table-1", 3, 5400, 1_795_631_400_000);
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "microblog");
        assert_eq!(declared["Dimensions"], json!([["Table"]]));
        for metric in declared["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(line[name].is_number(), "{name} has no value");
        }
        assert_eq!(line["Table"], "microblog-Table-1");
        assert_eq!(line[OLDEST_OPEN_REPORT_AGE], 1.5);
        assert_eq!(line[OPEN_REPORTS], 3);
        assert!(!line.to_string().contains('\n'), "one line");
    }
}
