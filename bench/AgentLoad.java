import com.sun.tools.attach.VirtualMachine;

/**
 * Loads a native agent into a running JVM with its options as one string: {@code jcmd JVMTI.agent_load} splits
 * options at '=' and ',' (async-profiler's "start,event=cpu" arrives empty), the attach API passes them whole.
 *
 * <pre>java bench/AgentLoad.java PID /path/libasyncProfiler.so start,event=cpu,interval=1ms</pre>
 */
public final class AgentLoad {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: java bench/AgentLoad.java PID AGENT.so OPTIONS");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
