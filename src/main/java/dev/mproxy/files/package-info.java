/**
 * Owner-only files and directories for secrets, keys and recordings: directories with permissions
 * {@code 0700} and files with {@code 0600}, created with those permissions rather than tightened afterwards,
 * and refused with the {@code chmod} that fixes them when they let other users in.
 *
 * <p>Entry point: {@link dev.mproxy.files.SecureFiles}. A leaf package: it uses the JDK only, never another
 * {@code dev.mproxy} package.
 */
package dev.mproxy.files;
