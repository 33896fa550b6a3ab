//! Per-process signal state: dispositions, blocked mask, pending set, delivery order.
