/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Message types, flags and field tags of the exec-plane protocol (see docs/protocol.md). */
#pragma once

/* Message types. Requests go client -> agent; REPLY/ERROR/DATA go agent -> client. */
enum proto_type {
	PROTO_HELLO = 1,
	PROTO_SPAWN = 2,
	PROTO_WAIT = 3,
	PROTO_SIGNAL = 4,
	PROTO_STDIN = 5,
	PROTO_RESIZE = 6,
	PROTO_LIST = 7,
	PROTO_ATTACH = 8,
	PROTO_RELEASE = 9,
	PROTO_OPEN = 16,
	PROTO_STAT = 17,
	PROTO_READDIR = 18,
	PROTO_MKDIR = 19,
	PROTO_REMOVE = 20,
	PROTO_RENAME = 21,
	PROTO_CHMOD = 22,
	PROTO_CHOWN = 23,
	PROTO_WRITE_FILE = 24,
	PROTO_READ_FILE = 25,
	PROTO_SESSION_NEW = 32,
	PROTO_SESSION_EXEC = 33,
	PROTO_SESSION_CLOSE = 34,
	PROTO_SHUTDOWN = 48,

	PROTO_REPLY = 0x80, /* final success reply */
	PROTO_ERROR = 0x81, /* final failure reply: ERRNO + MESSAGE */
	PROTO_DATA = 0x82,  /* a chunk of output, never final */
};

/* Header flags. */
#define PROTO_F_MORE 0x1 /* on replies: more messages for this request id follow */

/* Field tags (one namespace for all messages). */
enum proto_tag {
	/* generic */
	T_ERRNO = 1,      /* u32, positive errno */
	T_MESSAGE = 2,    /* string */
	/* HELLO */
	T_VERSION_MIN = 10, /* u32 */
	T_VERSION_MAX = 11, /* u32 */
	T_TOKEN = 12,       /* bytes */
	T_VERSION = 13,     /* u32: chosen version */
	T_AGENT_VERSION = 14, /* string */
	T_AGENT_PID = 15,   /* u32 */
	/* SPAWN */
	T_ARGV = 20,      /* string, repeated */
	T_ENV = 21,       /* string, repeated: "K=V" sets, "K" unsets */
	T_ENV_CLEAR = 22, /* u32 bool: start from an empty environment */
	T_CWD = 23,       /* string */
	T_UID = 24,       /* u32 */
	T_GID = 25,       /* u32 */
	T_GROUPS = 26,    /* u32, repeated: supplementary groups (with T_UID/T_GID) */
	T_RLIMIT = 27,    /* msg, repeated: T_RL_RESOURCE, T_RL_SOFT, T_RL_HARD */
	T_RL_RESOURCE = 28, /* u32 */
	T_RL_SOFT = 29,   /* u64, UINT64_MAX = infinity */
	T_RL_HARD = 30,   /* u64 */
	T_STDIN_MODE = 31,  /* u32 enum proto_stdio */
	T_STDOUT_MODE = 32,
	T_STDERR_MODE = 33,
	T_PTY_ROWS = 34,  /* u32 */
	T_PTY_COLS = 35,  /* u32 */
	T_TAG = 36,       /* string */
	T_DETACHED = 37,  /* u32 bool: survives the connection that made it */
	T_OUTPUT_CAP = 38, /* u32: ring size per output stream */
	T_TIMEOUT_MS = 39, /* u32: kill the process group after this long */
	T_PTY_RETURN = 40, /* u32 bool: send the pty master back in the SPAWN reply */
	/* process identity and results */
	T_PROC_ID = 50,   /* u32 */
	T_PID = 51,       /* u32 */
	T_EXITED = 52,    /* u32 bool */
	T_EXIT_CODE = 53, /* u32 */
	T_EXIT_SIGNAL = 54, /* u32 */
	T_CORE_DUMPED = 55, /* u32 bool */
	T_WALL_NS = 56,   /* u64 */
	T_UTIME_US = 57,  /* u64 */
	T_STIME_US = 58,  /* u64 */
	T_MAXRSS_KB = 59, /* u64 */
	T_TIMED_OUT = 60, /* u32 bool */
	T_RUNNING = 61,   /* u32 bool */
	T_PROC = 62,      /* msg, repeated: one process in a LIST reply */
	T_START_NS = 63,  /* u64: CLOCK_REALTIME start */
	T_RESERVE_KILLED = 64, /* u32 bool: killed by the disk reserve guard */
	T_WAIT_EXIT = 65,      /* u32 bool, SPAWN (v2): its one reply comes at the exit, as WAIT's */
	/* SIGNAL, STDIN, RESIZE */
	T_SIGNAL = 70,    /* u32 */
	T_SCOPE = 71,     /* u32 enum proto_scope */
	T_DATA = 72,      /* bytes */
	T_CLOSE = 73,     /* u32 bool */
	/* ATTACH / DATA */
	T_STREAM = 80,    /* u32: 1 stdout, 2 stderr */
	T_CURSOR_OUT = 81, /* u64 */
	T_CURSOR_ERR = 82, /* u64 */
	T_FOLLOW = 83,    /* u32 bool */
	T_OFFSET = 84,    /* u64: absolute offset of T_DATA in its stream */
	T_DROPPED = 85,   /* u64: bytes lost before T_DATA */
	/* files */
	T_PATH = 90,      /* string */
	T_PATH2 = 91,     /* string */
	T_FLAGS = 92,     /* u32 */
	T_MODE = 93,      /* u32 */
	T_NOFOLLOW = 94,  /* u32 bool */
	T_PARENTS = 95,   /* u32 bool */
	T_RECURSIVE = 96, /* u32 bool */
	T_MAX = 97,       /* u32 */
	T_SIZE = 98,      /* u64 */
	T_MTIME_NS = 99,  /* i64 */
	T_INO = 100,      /* u64 */
	T_NLINK = 101,    /* u64 */
	T_FTYPE = 102,    /* u32 enum proto_ftype_file */
	T_ENTRY = 103,    /* msg, repeated: T_NAME, T_FTYPE */
	T_NAME = 104,     /* string */
	T_TRUNCATED = 105, /* u32 bool */
	/* sessions */
	T_SESSION_ID = 110, /* u32 */
	T_COMMAND = 111,  /* string */
};

enum proto_stdio {
	PROTO_STDIO_NULL = 0, /* /dev/null */
	PROTO_STDIO_FD = 1,   /* the next passed fd */
	PROTO_STDIO_PIPE = 2, /* agent pipe: stdin via STDIN, output into the ring */
	PROTO_STDIO_PTY = 3,  /* the pty slave (one pty per process) */
};

enum proto_scope {
	PROTO_SCOPE_PROCESS = 0,
	PROTO_SCOPE_GROUP = 1,
	PROTO_SCOPE_TREE = 2,
};

/* Open flags on the wire: independent of any libc's O_* values. */
#define PROTO_O_RDONLY 0x0
#define PROTO_O_WRONLY 0x1
#define PROTO_O_RDWR 0x2
#define PROTO_O_CREAT 0x10
#define PROTO_O_EXCL 0x20
#define PROTO_O_TRUNC 0x40
#define PROTO_O_APPEND 0x80
#define PROTO_O_DIRECTORY 0x100
#define PROTO_O_NOFOLLOW 0x200
#define PROTO_O_ALL 0x3f3

enum proto_ftype_file {
	PROTO_FT_UNKNOWN = 0,
	PROTO_FT_REG = 1,
	PROTO_FT_DIR = 2,
	PROTO_FT_LNK = 3,
	PROTO_FT_CHR = 4,
	PROTO_FT_BLK = 5,
	PROTO_FT_FIFO = 6,
	PROTO_FT_SOCK = 7,
};
