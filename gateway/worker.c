/* SPDX-License-Identifier: ISC */
/*
 * A worker thread for work that must not block the event loop (password
 * hashing now, store commits later): jobs go in under a lock, results come
 * back to the loop through a pipe.
 */

#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "circlinkd.h"

struct worker_job {
	TAILQ_ENTRY(worker_job)	 entry;
	void			(*run)(void *);
	void			(*done)(void *);
	void			*arg;
};
TAILQ_HEAD(worker_jobs, worker_job);

static pthread_t		 worker_thread;
static pthread_mutex_t		 worker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 worker_cond = PTHREAD_COND_INITIALIZER;
static struct worker_jobs	 worker_todo =
				    TAILQ_HEAD_INITIALIZER(worker_todo);
static struct worker_jobs	 worker_done =
				    TAILQ_HEAD_INITIALIZER(worker_done);
static int			 worker_pipe[2] = { -1, -1 };
static struct event		*worker_ev;
static int			 worker_quit;
static int			 worker_running;

static void	*worker_main(void *);
static void	 worker_done_cb(evutil_socket_t, short, void *);

/* Start the worker thread.  Returns -1 with errno set. */
int
worker_start(struct event_base *base)
{
	if (pipe2(worker_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-1);
	worker_ev = event_new(base, worker_pipe[0], EV_READ | EV_PERSIST,
	    worker_done_cb, NULL);
	if (worker_ev == NULL || event_add(worker_ev, NULL) == -1) {
		errno = ENOMEM;
		return (-1);
	}
	if ((errno = pthread_create(&worker_thread, NULL, worker_main,
	    NULL)) != 0)
		return (-1);
	worker_running = 1;
	return (0);
}

/* Stop the thread after the job it is on; queued jobs are dropped. */
void
worker_stop(void)
{
	struct worker_job	*j;

	if (!worker_running)
		return;
	pthread_mutex_lock(&worker_lock);
	worker_quit = 1;
	pthread_cond_signal(&worker_cond);
	pthread_mutex_unlock(&worker_lock);
	pthread_join(worker_thread, NULL);
	worker_running = 0;
	while ((j = TAILQ_FIRST(&worker_todo)) != NULL) {
		TAILQ_REMOVE(&worker_todo, j, entry);
		j->done(j->arg);
		free(j);
	}
	worker_done_cb(-1, 0, NULL);
	event_free(worker_ev);
	close(worker_pipe[0]);
	close(worker_pipe[1]);
}

/*
 * Run run(arg) on the worker thread, then done(arg) on the loop.  Returns
 * -1 when the job cannot be queued; neither function is then called.
 */
int
worker_submit(void (*run)(void *), void (*done)(void *), void *arg)
{
	struct worker_job	*j;

	if (!worker_running || (j = calloc(1, sizeof(*j))) == NULL)
		return (-1);
	j->run = run;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&worker_lock);
	TAILQ_INSERT_TAIL(&worker_todo, j, entry);
	pthread_cond_signal(&worker_cond);
	pthread_mutex_unlock(&worker_lock);
	return (0);
}

static void *
worker_main(void *unused)
{
	struct worker_job	*j;
	char			 c = 1;

	pthread_mutex_lock(&worker_lock);
	for (;;) {
		while (!worker_quit && TAILQ_EMPTY(&worker_todo))
			pthread_cond_wait(&worker_cond, &worker_lock);
		if (worker_quit)
			break;
		j = TAILQ_FIRST(&worker_todo);
		TAILQ_REMOVE(&worker_todo, j, entry);
		pthread_mutex_unlock(&worker_lock);
		j->run(j->arg);
		pthread_mutex_lock(&worker_lock);
		TAILQ_INSERT_TAIL(&worker_done, j, entry);
		/* A full pipe already holds a wake-up: nothing is lost. */
		(void)write(worker_pipe[1], &c, 1);
	}
	pthread_mutex_unlock(&worker_lock);
	return (NULL);
}

static void
worker_done_cb(evutil_socket_t fd, short ev, void *unused)
{
	struct worker_jobs	 ready = TAILQ_HEAD_INITIALIZER(ready);
	struct worker_job	*j;
	char			 buf[256];

	while (read(worker_pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&worker_lock);
	TAILQ_CONCAT(&ready, &worker_done, entry);
	pthread_mutex_unlock(&worker_lock);
	while ((j = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, j, entry);
		j->done(j->arg);
		free(j);
	}
}
