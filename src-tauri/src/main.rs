fn main() { dbackup_desktop::run() }
