/**
 * The device side: dial out to the gateway, authenticate, and open each incoming stream to the local service
 * it is mapped to.
 */
package dev.mproxy.connector;
