#!/usr/bin/env bash
# Lab 07 — volumes: a named volume outlives its containers, a bind mount shows a host directory,
# a tmpfs lives in memory, and the volumes-from recipe backs a data container up and restores it
# into another one (Docker's documented backup and restore).
source "$(dirname "$0")/../lib/tsnetd.sh"
lab_daemon lab07
HOSTDIR=$LAB_DIR/hostdir
mkdir -p "$HOSTDIR"
echo "written on the host" >"$HOSTDIR/from-host.txt"

# Named volume: created on first use, still there after the container is gone.
step tsnet run --rm -v notes:/notes busybox sh -c 'echo "kept in a volume" > /notes/a.txt'
out=$(tsnet run --rm -v notes:/notes busybox cat /notes/a.txt)
printf '\n$ tsnet run --rm -v notes:/notes busybox cat /notes/a.txt\n%s\n' "$out"
result named "$out"
mp=$(tsnet volume inspect -f '{{.Mountpoint}}' notes)
step tsnet volume inspect notes
result named-on-disk "$(cat "$mp/a.txt")"

# Bind mount: the host directory itself, both ways.
out=$(tsnet run --rm -v "$HOSTDIR:/h" busybox sh -c 'cat /h/from-host.txt; echo "written in the container" > /h/from-container.txt')
printf '\n$ tsnet run --rm -v %s:/h busybox ...\n%s\n' "$HOSTDIR" "$out"
result bind "in=$out out=$(cat "$HOSTDIR/from-container.txt")"

# tmpfs: memory-backed, with the size asked for.
out=$(tsnet run --rm --tmpfs /scratch:rw,size=1m busybox sh -c 'grep " /scratch " /proc/mounts')
printf '\n$ tsnet run --rm --tmpfs /scratch:rw,size=1m busybox grep /scratch /proc/mounts\n%s\n' "$out"
result tmpfs "$out"

# Backup and restore with --volumes-from (https://docs.docker.com/storage/volumes/#back-up-restore-or-migrate-data-volumes).
step tsnet create -v /dbdata --name dbstore busybox /bin/true
step tsnet run --rm --volumes-from dbstore busybox sh -c 'echo "precious data" > /dbdata/db.txt'
step tsnet run --rm --volumes-from dbstore -v "$LAB_DIR:/backup" busybox tar cvf /backup/backup.tar /dbdata
result backup "$(tar tf "$LAB_DIR/backup.tar" | tr '\n' ' ')"
step tsnet create -v /dbdata --name dbstore2 busybox /bin/true
step tsnet run --rm --volumes-from dbstore2 -v "$LAB_DIR:/backup" busybox sh -c 'cd /dbdata && tar xvf /backup/backup.tar --strip 1'
out=$(tsnet run --rm --volumes-from dbstore2 busybox cat /dbdata/db.txt)
printf '\n$ tsnet run --rm --volumes-from dbstore2 busybox cat /dbdata/db.txt\n%s\n' "$out"
result restore "$out"
step tsnet volume ls
