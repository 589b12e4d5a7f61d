/**
 * Several gateways as one (protocol-spec/cluster.md): membership and device ownership as leases in Redis,
 * each node's local view of where the others' devices are, and node tunnels that carry a public connection
 * from the node that accepted it to the node that holds its device. The gateway sees all of it through
 * {@link dev.mproxy.gateway.ClusterMember}; without {@code --cluster} none of it runs.
 */
package dev.mproxy.cluster;
