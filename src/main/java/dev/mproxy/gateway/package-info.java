/**
 * The public side: the WebSocket endpoint devices dial, their authentication and control channel, the
 * registry of connected devices, and the public listeners whose connections become streams.
 */
package dev.mproxy.gateway;
