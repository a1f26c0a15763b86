// batchwatch: Prometheus exporter for Kubernetes Jobs and CronJobs.
#include "app/cli.h"

int main(int argc, char** argv) { return batchwatch::app::Main(argc, argv); }
