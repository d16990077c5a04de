//! The controller's families (`antrea_controller_*`), from Antrea v2.7's
//! `pkg/controller/metrics/prometheus.go` and the names documented for v1.11.

use super::{Component, Def, Stability, DEFAULT_BUCKETS};
use crate::{Counter, Gauge, Histogram, Unit};

families! {
    pub(super) const CONTROLLER_FAMILIES;

    /// `antrea_controller_acnp_status_updates`.
    pub const CONTROLLER_ACNP_STATUS_UPDATES: Def<Counter> = Def::scalar(
        "antrea_controller_acnp_status_updates",
        Component::Controller,
        Stability::Alpha,
        "The total number of actual status updates performed for Antrea ClusterNetworkPolicy Custom Resources",
    )
    .since("v0.13.0");

    /// `antrea_controller_address_group_processed`.
    ///
    /// Note: the trailing space in help is Antrea's own.
    pub const CONTROLLER_ADDRESS_GROUP_PROCESSED: Def<Counter> = Def::scalar(
        "antrea_controller_address_group_processed",
        Component::Controller,
        Stability::Stable,
        "The total number of address-group processed ",
    )
    .since("v0.x");

    /// `antrea_controller_address_group_sync_duration_milliseconds`.
    pub const CONTROLLER_ADDRESS_GROUP_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
        "antrea_controller_address_group_sync_duration_milliseconds",
        Component::Controller,
        Stability::Alpha,
        Unit::Milliseconds,
        &DEFAULT_BUCKETS,
        "The duration of syncing address-group",
    )
    .since("v0.x");

    /// `antrea_controller_annp_status_updates`.
    ///
    /// Note: named antrea_controller_anp_status_updates before v1.13.0.
    pub const CONTROLLER_ANNP_STATUS_UPDATES: Def<Counter> = Def::scalar(
        "antrea_controller_annp_status_updates",
        Component::Controller,
        Stability::Alpha,
        "The total number of actual status updates performed for Antrea NetworkPolicy Custom Resources",
    )
    .since("v0.13.0");

    /// `antrea_controller_applied_to_group_processed`.
    pub const CONTROLLER_APPLIED_TO_GROUP_PROCESSED: Def<Counter> = Def::scalar(
        "antrea_controller_applied_to_group_processed",
        Component::Controller,
        Stability::Stable,
        "The total number of applied-to-group processed",
    )
    .since("v0.x");

    /// `antrea_controller_applied_to_group_sync_duration_milliseconds`.
    pub const CONTROLLER_APPLIED_TO_GROUP_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
        "antrea_controller_applied_to_group_sync_duration_milliseconds",
        Component::Controller,
        Stability::Alpha,
        Unit::Milliseconds,
        &DEFAULT_BUCKETS,
        "The duration of syncing applied-to-group",
    )
    .since("v0.x");

    /// `antrea_controller_length_address_group_queue`.
    pub const CONTROLLER_LENGTH_ADDRESS_GROUP_QUEUE: Def<Gauge> = Def::scalar(
        "antrea_controller_length_address_group_queue",
        Component::Controller,
        Stability::Stable,
        "The length of AddressGroupQueue",
    )
    .since("v0.x");

    /// `antrea_controller_length_applied_to_group_queue`.
    pub const CONTROLLER_LENGTH_APPLIED_TO_GROUP_QUEUE: Def<Gauge> = Def::scalar(
        "antrea_controller_length_applied_to_group_queue",
        Component::Controller,
        Stability::Stable,
        "The length of AppliedToGroupQueue",
    )
    .since("v0.x");

    /// `antrea_controller_length_network_policy_queue`.
    pub const CONTROLLER_LENGTH_NETWORK_POLICY_QUEUE: Def<Gauge> = Def::scalar(
        "antrea_controller_length_network_policy_queue",
        Component::Controller,
        Stability::Stable,
        "The length of InternalNetworkPolicyQueue",
    )
    .since("v0.x");

    /// `antrea_controller_network_policy_processed`.
    pub const CONTROLLER_NETWORK_POLICY_PROCESSED: Def<Counter> = Def::scalar(
        "antrea_controller_network_policy_processed",
        Component::Controller,
        Stability::Stable,
        "The total number of internal-networkpolicy processed",
    )
    .since("v0.x");

    /// `antrea_controller_network_policy_sync_duration_milliseconds`.
    pub const CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS: Def<Histogram> = Def::histogram(
        "antrea_controller_network_policy_sync_duration_milliseconds",
        Component::Controller,
        Stability::Alpha,
        Unit::Milliseconds,
        &DEFAULT_BUCKETS,
        "The duration of syncing internal-networkpolicy",
    )
    .since("v0.x");
}
