//! The controller process's handles: every `antrea_controller_*` family.

use crate::catalogue as cat;
use crate::collector::ComponentCollector;
use crate::descriptor::Component;
use crate::format::Format;
use crate::{
    Counter, CounterMode, Exposition, Gauge, Histogram, NativeHistograms, Profile, Result,
};

/// Every metric an Antrea controller process exposes, as typed handles.
///
/// ```
/// use antrea_metrics::{ControllerMetrics, Exposition, Profile};
/// let controller = ControllerMetrics::register(&prometheus::Registry::new(), Profile::V1_11)?;
/// controller.annp_status_updates.inc();
/// let mut out = Vec::new();
/// controller.encode_text(&mut out)?;
/// // v1.11 named this family antrea_controller_anp_status_updates.
/// assert!(String::from_utf8_lossy(&out).contains("antrea_controller_anp_status_updates 1\n"));
/// # Ok::<(), antrea_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    /// Status updates of Antrea ClusterNetworkPolicies.
    pub acnp_status_updates: Counter,
    /// Address groups processed.
    pub address_group_processed: Counter,
    /// Time to sync one address group, in milliseconds.
    pub address_group_sync_duration_milliseconds: Histogram,
    /// Status updates of Antrea NetworkPolicies (`anp` in v1.11).
    pub annp_status_updates: Counter,
    /// Applied-to groups processed.
    pub applied_to_group_processed: Counter,
    /// Time to sync one applied-to group, in milliseconds.
    pub applied_to_group_sync_duration_milliseconds: Histogram,
    /// Length of the address group queue.
    pub length_address_group_queue: Gauge,
    /// Length of the applied-to group queue.
    pub length_applied_to_group_queue: Gauge,
    /// Length of the internal NetworkPolicy queue.
    pub length_network_policy_queue: Gauge,
    /// Internal NetworkPolicies processed.
    pub network_policy_processed: Counter,
    /// Time to sync one internal NetworkPolicy, in milliseconds.
    pub network_policy_sync_duration_milliseconds: Histogram,
    collector: ComponentCollector,
}

impl ControllerMetrics {
    /// Creates the controller's metrics and registers them into `registry`, all or nothing.
    ///
    /// # Errors
    /// [`crate::Error::Register`] when `registry` already has one of these families.
    pub fn register(registry: &prometheus::Registry, profile: Profile) -> Result<Self> {
        Self::register_with(registry, profile, CounterMode::Plain)
    }

    /// Like [`ControllerMetrics::register`], with every counter kept as `counters` says.
    ///
    /// # Errors
    /// As [`ControllerMetrics::register`].
    pub fn register_with(
        registry: &prometheus::Registry,
        profile: Profile,
        counters: CounterMode,
    ) -> Result<Self> {
        let controller = Self::unregistered_with(profile, counters)?;
        controller.collector.register(registry)?;
        Ok(controller)
    }

    /// Creates the controller's metrics without registering them anywhere.
    ///
    /// # Errors
    /// [`crate::Error::Register`] if a descriptor is invalid (never for the built-in table).
    pub fn unregistered(profile: Profile) -> Result<Self> {
        Self::unregistered_with(profile, CounterMode::Plain)
    }

    /// Like [`ControllerMetrics::unregistered`], with every counter kept as `counters` says.
    ///
    /// # Errors
    /// As [`ControllerMetrics::unregistered`].
    pub fn unregistered_with(profile: Profile, counters: CounterMode) -> Result<Self> {
        Self::unregistered_with_native(profile, counters, &NativeHistograms::none())
    }

    /// Like [`ControllerMetrics::unregistered_with`], with native buckets for the histogram families
    /// `native` selects (serve them in the protobuf format: the text format has no place for
    /// them).
    ///
    /// # Errors
    /// As [`ControllerMetrics::unregistered`].
    pub fn unregistered_with_native(
        profile: Profile,
        counters: CounterMode,
        native: &NativeHistograms,
    ) -> Result<Self> {
        let c = ComponentCollector::new(Component::Controller, profile, counters, native)?;
        let counter = |d: &cat::Descriptor| c.family(d.name).counter(&[]);
        let gauge = |d: &cat::Descriptor| c.family(d.name).gauge(&[]);
        let histogram = |d: &cat::Descriptor| c.family(d.name).histogram(&[]);
        Ok(ControllerMetrics {
            acnp_status_updates: counter(&cat::CONTROLLER_ACNP_STATUS_UPDATES),
            address_group_processed: counter(&cat::CONTROLLER_ADDRESS_GROUP_PROCESSED),
            address_group_sync_duration_milliseconds: histogram(
                &cat::CONTROLLER_ADDRESS_GROUP_SYNC_DURATION_MILLISECONDS,
            ),
            annp_status_updates: counter(&cat::CONTROLLER_ANNP_STATUS_UPDATES),
            applied_to_group_processed: counter(&cat::CONTROLLER_APPLIED_TO_GROUP_PROCESSED),
            applied_to_group_sync_duration_milliseconds: histogram(
                &cat::CONTROLLER_APPLIED_TO_GROUP_SYNC_DURATION_MILLISECONDS,
            ),
            length_address_group_queue: gauge(&cat::CONTROLLER_LENGTH_ADDRESS_GROUP_QUEUE),
            length_applied_to_group_queue: gauge(&cat::CONTROLLER_LENGTH_APPLIED_TO_GROUP_QUEUE),
            length_network_policy_queue: gauge(&cat::CONTROLLER_LENGTH_NETWORK_POLICY_QUEUE),
            network_policy_processed: counter(&cat::CONTROLLER_NETWORK_POLICY_PROCESSED),
            network_policy_sync_duration_milliseconds: histogram(
                &cat::CONTROLLER_NETWORK_POLICY_SYNC_DURATION_MILLISECONDS,
            ),
            collector: c,
        })
    }

    /// The collector holding every family, to register into another registry or serve directly.
    pub fn collector(&self) -> &ComponentCollector {
        &self.collector
    }

    /// The profile these metrics are exposed as.
    pub fn profile(&self) -> Profile {
        self.collector.profile()
    }
}

impl Exposition for ControllerMetrics {
    fn encode_text(&self, out: &mut Vec<u8>) -> Result<()> {
        self.collector.encode_text(out)
    }

    fn supports(&self, format: Format) -> bool {
        self.collector.supports(format)
    }

    fn encode(&self, format: Format, out: &mut Vec<u8>) -> Result<()> {
        self.collector.encode(format, out)
    }
}
