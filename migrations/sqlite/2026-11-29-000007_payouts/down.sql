DROP TABLE refunds;
DROP TABLE payouts;
