package io.mounter.node;

import java.util.List;

/** One line of the process table, as /proc/PID/stat and /proc/PID/cmdline show it. */
public record ProcessInfo(long pid, long parentPid, char state, String comm, List<String> cmdline) {

    public ProcessInfo {
        cmdline = List.copyOf(cmdline);
    }

    /** Exited but not yet reaped by its parent (state Z). */
    public boolean isZombie() {
        return state == 'Z';
    }

    /** cmdline joined by spaces; kernel threads have none, so their comm stands in. */
    public String commandLine() {
        return cmdline.isEmpty() ? "[" + comm + "]" : String.join(" ", cmdline);
    }

    @Override
    public String toString() {
        String line = commandLine().replace('\n', ' ');
        return pid + " (ppid " + parentPid + ", " + state + ") " + (line.length() > 100 ? line.substring(0, 100) + "..." : line);
    }
}
