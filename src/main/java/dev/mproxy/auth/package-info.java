/**
 * Device authentication: HS256 JWT device tokens signed with the gateway's secret, their claims
 * ({@code sub}, {@code ports}, {@code domains}, {@code exp}/{@code nbf}/{@code iat}), the secret file, and
 * where a token is found in an HTTP request. No sockets here.
 *
 * <p>Entry points: {@link dev.mproxy.auth.GatewaySecret} (load or create the key),
 * {@link dev.mproxy.auth.TokenSigner} and {@link dev.mproxy.auth.TokenVerifier} (JWT ⇄
 * {@link dev.mproxy.auth.DeviceToken}), {@link dev.mproxy.auth.TokenExtractor} (token from an upgrade request),
 * {@link dev.mproxy.auth.DomainNames} (name patterns). Every refusal is an
 * {@link dev.mproxy.auth.InvalidTokenException} with code {@code E_INVALID_TOKEN} and a one-line reason the
 * gateway can send back to the device, as telebit's relay did.
 */
package dev.mproxy.auth;
