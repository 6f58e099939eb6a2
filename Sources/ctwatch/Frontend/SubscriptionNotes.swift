import Conntrack

/// SubscriptionNotes says on stderr what a user of an event subscription must know.
enum SubscriptionNotes {
    /// Warns once when the kernel refused SO_RCVBUFFORCE and the buffer is capped.
    static func warnIfBufferCapped(_ subscription: EventSubscription) {
        if !subscription.bufferForced {
            Diagnostics.line(
                "warning: receive buffer limited to \(subscription.grantedBufferSize) bytes by net.core.rmem_max "
                    + "(SO_RCVBUFFORCE was refused: no CAP_NET_ADMIN); expect lost events under load")
        }
    }
}
