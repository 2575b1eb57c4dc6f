/* attack: leave SysV shared memory, semaphores and message queues behind on the host */
#include "attack.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
int main(void)
{
	int id = shmget(0x48555443, 16 << 20, IPC_CREAT | 0666);
	if (id >= 0) {
		char *p = shmat(id, NULL, 0);
		if (p != (void *)-1)
			memset(p, 1, 16 << 20);
	}
	semget(0x48555443, 4, IPC_CREAT | 0666);
	msgget(0x48555443, IPC_CREAT | 0666);
	/* Exit without removing them: the sandbox's IPC namespace must take them along. */
	note("created shm/sem/msg with key 0x48555443");
	return ATTACK_HELD;
}
