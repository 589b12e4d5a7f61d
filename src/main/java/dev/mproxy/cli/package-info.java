/**
 * The {@code mproxy} command line: picocli commands that turn options into calls. Nothing depends on this
 * package.
 */
package dev.mproxy.cli;
